"""The body cap on /rest: a body over the limit is answered 413 and never reaches the API."""

from starlette.types import ASGIApp, Receive, Scope, Send

from emulator.errors import PayloadTooLarge
from emulator.web import PrefixMiddleware, content_length, error_response, replay


class BodyLimitMiddleware(PrefixMiddleware):
    """Reads each /rest body (up to `limit` bytes) before the app sees it.

    A declared Content-Length over the limit is refused before a byte is read; a chunked
    body is refused as soon as it passes the limit. Reading first means every layer inside
    (fault matching, the routes) gets a whole body it never has to bound again, and the
    journal, outside, has captured it even when a route refuses before reading (a 401).
    """

    def __init__(self, app: ASGIApp, limit: int, prefix: str) -> None:
        super().__init__(app, prefix)
        self.limit = limit

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        declared = content_length(scope)
        if declared is not None and declared > self.limit:
            await error_response(PayloadTooLarge(self.limit))(scope, receive, send)
            return
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # Gone before the body was complete: there is no one to answer, so the app is
                # not called (a route reading the body would fail with a 500 and a traceback).
                # The journal, outside, records the request as disconnected (499).
                return
            body.extend(message.get("body", b""))
            if len(body) > self.limit:
                await error_response(PayloadTooLarge(self.limit))(scope, receive, send)
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, replay(bytes(body), receive), send)
