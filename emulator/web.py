"""What routes and middleware share: JSON responses, the error envelope, the caller's address."""

import logging
from typing import Any

import orjson
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.errors import ApiError


class JsonResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Starlette's, without what a JSON answer never has (background tasks, a file to
        # send): every /rest answer goes through here.
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        await send({"type": "http.response.body", "body": self.body})


def error_response(error: ApiError) -> JsonResponse:
    return JsonResponse(error.body(), status_code=error.status, headers=error.headers())


def client_ip(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


async def read_body(receive: Receive) -> bytes:
    """Every chunk of a request's body; stops early if the client disconnects."""
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.extend(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return bytes(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the app a body already read, then defers to the real one."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header `name` (lower-case bytes), as text."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def content_length(scope: Scope) -> int | None:
    value = header(scope, b"content-length")
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class PrefixMiddleware:
    """ASGI middleware that acts on HTTP requests under `prefix` only; the rest pass through."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        await self.handle(scope, receive, send)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


def no_route(method: str, path: str) -> JsonResponse:
    return JsonResponse({"code": 404, "message": f"No such route: {method} {path}"}, 404)


def method_not_allowed(method: str, path: str, allowed: list[str]) -> JsonResponse:
    return JsonResponse(
        {"code": 405, "message": f"Method {method} is not allowed on {path}"},
        405,
        headers={"Allow": ", ".join(allowed)},
    )


def client_gone() -> JsonResponse:
    # The client left mid-body: nobody reads this answer, and it is no server error to log.
    return JsonResponse({"code": 499, "message": "The client disconnected."}, status_code=499)


def unexpected_error(error: BaseException) -> JsonResponse:
    # A bug, not the caller's fault: logged with its traceback, answered in the envelope.
    logging.getLogger("emulator").exception("unexpected error", exc_info=error)
    return JsonResponse({"code": 500, "message": "Internal emulator error."}, status_code=500)
