"""The request journal: an ASGI middleware that records every /rest request, secrets masked."""

import logging
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.events import REQUEST
from emulator.push.auth import mask_secret
from emulator.runtime import Runtime
from emulator.storage.tables import JournalEntry
from emulator.storage.writer import WriterClosed
from emulator.web import PrefixMiddleware, client_ip

log = logging.getLogger("emulator.journal")

# The journal keeps this much of a body; the send itself keeps its request whole.
JOURNAL_BODY_CAP = 64 * 1024
_SECRET_HEADERS = {"authorization", "cookie", "x-api-key", "proxy-authorization"}
_SECRET_KEYS = {"password", "access_token", "accesstoken", "token", "refresh_token"}
_RESPONSE_CAP = 8 * 1024


def mask_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key_bytes, value_bytes in raw:
        key = key_bytes.decode("latin-1").lower()
        value = value_bytes.decode("latin-1")
        if key in _SECRET_HEADERS:
            scheme, _, secret = value.partition(" ")
            value = f"{scheme} {mask_secret(secret)}" if secret else mask_secret(value)
        headers[key] = value
    return headers


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("********" if k.lower() in _SECRET_KEYS and isinstance(v, str) else _mask_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_mask_json(v) for v in value]
    return value


def mask_body(body: bytes) -> str:
    """The body as text with every password or token value replaced."""
    text = body.decode("utf-8", errors="replace")
    lowered = text.lower()  # once, not once per key: this runs for every /rest request
    if '"' not in text or not any(f'"{key}"' in lowered for key in _SECRET_KEYS):
        return text
    try:
        return orjson.dumps(_mask_json(orjson.loads(body))).decode()
    except orjson.JSONDecodeError:
        return "[body withheld: it names a secret but is not valid JSON]"


def error_message(status: int, body: bytes) -> str | None:
    if status < 400:
        return None
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body[:200].decode("utf-8", errors="replace") or f"HTTP {status} with an empty body"
    if isinstance(data, dict):
        return str(data.get("actionResult") or data.get("message") or "")[:1000] or None
    return None


class JournalMiddleware(PrefixMiddleware):
    """Wraps /rest outermost: records each request, with what it was answered, once known.

    The journal row is queued to the writer after the answer is sent, so recording costs a
    send no latency; readers that need it first wait on the writer (see Writer.barrier).
    """

    def __init__(self, app: ASGIApp, runtime: Runtime, prefix: str) -> None:
        super().__init__(app, prefix)
        self.runtime = runtime

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        received_at = self.runtime.clock.now()
        state: dict[str, Any] = scope.setdefault("state", {})
        captured = bytearray()
        response_body = bytearray()
        status = 500
        total = 0

        async def capturing_receive() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                total += len(chunk)
                if len(captured) < JOURNAL_BODY_CAP:
                    captured.extend(chunk[: JOURNAL_BODY_CAP - len(captured)])
            return message

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and status >= 400:
                room = _RESPONSE_CAP - len(response_body)
                if room > 0:
                    response_body.extend(message.get("body", b"")[:room])
            await send(message)

        try:
            await self.app(scope, capturing_receive, watching_send)
        finally:
            self._record(
                scope, state, received_at, started, status, captured, total, bytes(response_body)
            )

    def _record(
        self,
        scope: Scope,
        state: dict[str, Any],
        received_at: Any,
        started: float,
        status: int,
        captured: bytearray,
        total: int,
        response_body: bytes,
    ) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        row = {
            "received_at": received_at,
            "method": scope["method"],
            "path": scope["path"],
            "query": query,
            "status": status,
            "api_user": state.get("api_user"),
            "client_ip": client_ip(scope),
            "latency_ms": round((time.perf_counter() - started) * 1000, 3),
            "headers": mask_headers(scope.get("headers", [])),
            "body": mask_body(bytes(captured)),
            "body_truncated": total > len(captured),
            # A route's own word first: a 200 can be a refusal (SendTransactionalPush's codes).
            "error": state.get("error") or error_message(status, response_body),
            "tracking_id": state.get("tracking_id"),
            "fault": state.get("fault"),
            "repeat_of": state.get("repeat_of"),
        }
        events = self.runtime.events

        def committed(stored: dict[str, Any]) -> None:
            events.publish(
                REQUEST,
                method=stored["method"],
                path=stored["path"],
                status=stored["status"],
                apiUser=stored["api_user"],
            )

        try:
            self.runtime.writer.append(JournalEntry, row, committed)
        except WriterClosed:
            log.warning("journal closed; %s %s not recorded", row["method"], row["path"])
