"""The request journal: an ASGI middleware that records every /rest request, secrets masked."""

import logging
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.auth import mask_secret
from emulator.errors import PayloadTooLarge
from emulator.models import JournalEntry
from emulator.responses import error_response
from emulator.runtime import Runtime
from emulator.writer import WriterClosed

log = logging.getLogger("emulator.journal")

REST_PREFIX = "/rest"
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


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class JournalMiddleware:
    """Wraps /rest: caps the body (413), then records the request once its answer is known.

    The journal row is queued to the writer after the answer is sent, so recording costs a
    send no latency; readers that need it first wait on the writer (see Writer.barrier).
    """

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(REST_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        received_at = self.runtime.clock.now()
        limit = self.runtime.settings.max_body_bytes
        state: dict[str, Any] = scope.setdefault("state", {})
        captured = bytearray()
        response_body = bytearray()
        status = 500
        total = 0

        async def capped_receive() -> Message:
            nonlocal total
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                total += len(chunk)
                if total > limit:
                    raise PayloadTooLarge(limit)
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

        declared = _content_length(scope)
        try:
            if declared is not None and declared > limit:
                # Refused from the header alone, before a byte of the body is read.
                await error_response(PayloadTooLarge(limit))(scope, receive, watching_send)
            else:
                await self.app(scope, capped_receive, watching_send)
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
            "error": error_message(status, response_body),
            "tracking_id": state.get("tracking_id"),
            "fault": state.get("fault"),
        }
        events = self.runtime.events

        def committed(stored: dict[str, Any]) -> None:
            events.publish(
                "request",
                method=stored["method"],
                path=stored["path"],
                status=stored["status"],
                apiUser=stored["api_user"],
            )

        try:
            self.runtime.writer.append(JournalEntry, row, committed)
        except WriterClosed:
            log.warning("journal closed; %s %s not recorded", row["method"], row["path"])


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
