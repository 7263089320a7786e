"""The request journal: an ASGI middleware that records every /rest request, secrets masked."""

import logging
import time
from typing import Any
from urllib.parse import quote, unquote_plus

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.bodies import MAX_JSON_DEPTH
from emulator.events import REQUEST
from emulator.push.auth import mask_secret
from emulator.runtime import Runtime
from emulator.storage.tables import JournalEntry
from emulator.storage.writer import WriterClosed
from emulator.web import PrefixMiddleware, client_ip

log = logging.getLogger("emulator.journal")

# The journal keeps this much of a body; the send itself keeps its request whole.
JOURNAL_BODY_CAP = 64 * 1024
# ... and this much of the headers: each value, and all of them together. A request may
# carry far more (up to EMULATOR_MAX_HEADER_BYTES); ten 8 MiB headers once added 92 MB.
JOURNAL_HEADER_VALUE_CAP = 1024
JOURNAL_HEADERS_CAP = 8 * 1024
_RESPONSE_CAP = 8 * 1024
# The status a request is journaled with when its client left before the answer (nginx's).
CLIENT_CLOSED_REQUEST = 499
_MASK = "********"
# Header names that always carry a secret; any name with one of _SECRET_WORDS does too.
_SECRET_HEADERS = {"authorization", "cookie", "proxy-authorization", "x-api-key"}
_SECRET_WORDS = ("token", "secret", "password", "passwd", "apikey", "api-key", "api_key")


def is_secret_name(name: str) -> bool:
    """Whether a header, query parameter or JSON key names a secret (any case).

    Words, not an exact list, so `x-access-token`, `client_secret` or `refresh_token` are
    caught; `useOnlyEngagedTokens` (a flag, not a token) is not, as it ends in "tokens".
    """
    lowered = name.lower()
    if lowered in _SECRET_HEADERS or lowered.endswith("token"):
        return True
    return any(word in lowered for word in _SECRET_WORDS if word != "token")


def _masked_value(value: str) -> str:
    scheme, _, secret = value.partition(" ")
    return f"{scheme} {mask_secret(secret)}" if secret else mask_secret(value)


def _capped(value: str, cap: int) -> str:
    return value if len(value) <= cap else f"{value[:cap]}… [{len(value) - cap} more characters]"


def mask_headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """The headers as the journal keeps them: secrets masked, each value and the whole capped."""
    headers: dict[str, str] = {}
    room = JOURNAL_HEADERS_CAP
    for index, (key_bytes, value_bytes) in enumerate(raw):
        key = key_bytes.decode("latin-1").lower()[:200]
        value = value_bytes.decode("latin-1")
        if is_secret_name(key):
            value = _masked_value(value)
        value = _capped(value, JOURNAL_HEADER_VALUE_CAP)
        room -= len(key) + len(value)
        if room < 0:
            headers["…"] = f"{len(raw) - index} more header(s) not kept"
            break
        headers[key] = value
    return headers


def mask_query(query: str) -> str:
    """The query string with the value of every secret-looking parameter masked."""
    if not query:
        return query
    parts = []
    for part in query.split("&"):
        name, equals, value = part.partition("=")
        if equals and is_secret_name(unquote_plus(name)):
            part = f"{name}={quote(mask_secret(unquote_plus(value)))}"
        parts.append(part)
    return "&".join(parts)


def _mask_json(value: Any, masked: list[str], depth: int = 0) -> Any:
    """`value` with every value under a secret-looking key replaced; `masked` lists them."""
    if depth > MAX_JSON_DEPTH:
        masked.append("")  # the body was refused for its depth; what is below is not kept
        return "[nested too deep: not kept]"
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if is_secret_name(key) and item is not None:
                masked.append(key)
                kept[key] = _MASK
            else:
                kept[key] = _mask_json(item, masked, depth + 1)
        return kept
    if isinstance(value, list):
        return [_mask_json(item, masked, depth + 1) for item in value]
    return value


def mask_body(body: bytes) -> str:
    """The body as text with every value under a secret-looking key replaced, whatever its
    type. Keys are judged once parsed, so an escaped key ("pass\\u0077ord") is caught too;
    a body with nothing to mask is kept exactly as it came."""
    text = body.decode("utf-8", errors="replace")
    lowered = text.lower()  # once, not once per word: this runs for every /rest request
    if '"' not in text or not (
        "\\u" in text or any(word in lowered for word in (*_SECRET_WORDS, "cookie"))
    ):
        return text
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "[body withheld: it may name a secret but is not valid JSON]"
    masked: list[str] = []
    cleaned = _mask_json(data, masked)
    return orjson.dumps(cleaned).decode() if masked else text


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
        status: int | None = None  # until the answer starts
        total = 0
        body_done = disconnected = False

        async def capturing_receive() -> Message:
            nonlocal total, body_done, disconnected
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                total += len(chunk)
                if len(captured) < JOURNAL_BODY_CAP:
                    captured.extend(chunk[: JOURNAL_BODY_CAP - len(captured)])
                body_done = not message.get("more_body", False)
            elif message["type"] == "http.disconnect":
                disconnected = True
            return message

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                # An answer given before the body was read (a 413 on its declared length, a
                # 431, a 421): read what the journal keeps of it now, since once the
                # response is sent, receive() only yields a disconnect.
                while not (body_done or disconnected) and len(captured) < JOURNAL_BODY_CAP:
                    await capturing_receive()
                status = int(message["status"])
            elif message["type"] == "http.response.body" and (status or 0) >= 400:
                room = _RESPONSE_CAP - len(response_body)
                if room > 0:
                    response_body.extend(message.get("body", b"")[:room])
            await send(message)

        try:
            await self.app(scope, capturing_receive, watching_send)
        finally:
            if status is None and disconnected:
                # Gone before it was answered (mid-body, most often): journaled as nginx
                # does, 499 "client closed request", never as the server's 500; or as what
                # the server told a client too slow to send its body (connections.py: 408).
                status = state.get("closed_as", CLIENT_CLOSED_REQUEST)
                state.setdefault("error", "the client disconnected before it was answered")
            self._record(
                scope,
                state,
                received_at,
                started,
                500 if status is None else status,
                captured,
                total,
                bytes(response_body),
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
        query = mask_query(scope.get("query_string", b"").decode("latin-1"))
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
