"""The header cap on every route: headers past EMULATOR_MAX_HEADER_BYTES are a 431."""

from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.errors import ApiError
from emulator.web import error_response


class HeadersTooLarge(ApiError):
    status = 431

    def __init__(self, limit: int, size: int) -> None:
        super().__init__(
            f"headers: must be at most {limit} bytes in all (got {size}); "
            "see EMULATOR_MAX_HEADER_BYTES"
        )


def headers_size(scope: Scope) -> int:
    """Bytes of the headers as sent: each name, value, ': ' and line end."""
    return sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))


class HeaderLimitMiddleware:
    """Refuses a request whose headers add up past `limit` bytes, before any route runs.

    The server process also stops reading a request whose headers pass the cap before they
    end (connections.py), so an endless header cannot fill memory; this layer gives the
    same answer in the envelope wherever the app runs, and inside the journal, which
    records it (with a capped copy of the headers).
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            size = headers_size(scope)
            if size > self.limit:
                await error_response(HeadersTooLarge(self.limit, size))(scope, receive, send)
                return
        await self.app(scope, receive, send)
