"""Counting and timing every HTTP request by route, for /metrics; outermost when on."""

import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from emulator.metrics import UNMATCHED, Metrics


def route_label(scope: Scope, routes: Sequence[BaseRoute], prefix: str) -> str:
    """The route's path template (`/_emulator/sends/{key}`), so label values stay bounded.

    A router included under `prefix` may name its routes without it (FastAPI keeps included
    routers whole), so the prefix is put back where the request had it.
    """
    route = scope.get("route")
    if route is None:
        # Answered before routing (a /rest fault, a 413): the plain route it was meant for.
        route = next(
            (r for r in routes if isinstance(r, Route) and r.matches(scope)[0] == Match.FULL),
            None,
        )
    path = getattr(route, "path", None)
    if not isinstance(path, str):
        return UNMATCHED
    if scope["path"].startswith(prefix + "/") and not path.startswith(prefix + "/"):
        return prefix + path
    return path


class MetricsMiddleware:
    def __init__(
        self, app: ASGIApp, metrics: Metrics, routes: Sequence[BaseRoute], prefix: str
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.routes = routes
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        finally:
            self.metrics.on_request(
                scope["method"],
                route_label(scope, self.routes, self.prefix),
                scope["path"],
                status,
                time.perf_counter() - started,
                scope.get("state"),
            )
