"""`create_app(settings)`: the one place that wires every route, middleware and handler."""

import asyncio
import threading
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING

from starlette.datastructures import State
from starlette.requests import ClientDisconnect, Request
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator import CONTROL_PREFIX, REST_PREFIX, __version__
from emulator.errors import ApiError, BadRequest
from emulator.middleware.body_limit import BodyLimitMiddleware
from emulator.middleware.faults import FaultMiddleware
from emulator.middleware.header_limit import HeaderLimitMiddleware
from emulator.middleware.hosts import HostCheckMiddleware
from emulator.middleware.journal import JournalMiddleware
from emulator.routes import health, rest
from emulator.runtime import Runtime
from emulator.settings import Settings
from emulator.storage.retention import pruning
from emulator.web import (
    JsonResponse,
    client_gone,
    error_response,
    no_route,
    unexpected_error,
)

if TYPE_CHECKING:
    from fastapi import FastAPI

HEALTH_PATHS = frozenset(route.path for route in health.routes)


class EmulatorApp:
    """What the server serves, as two stacks:

    - /rest and the health probes through lean stacks of their own (for /rest: the journal,
      the checks, the body cap, the faults, the RestRouter): FastAPI's own layers cost the
      send more than its work;
    - everything else — the /_emulator API, the web inbox — through FastAPI, built in the
      background once the server is ready, so that importing and assembling it (about a
      third of a second) is not in the time to ready. A request that arrives sooner waits
      for it.

    The lifespan (writer, dispatcher, pruning, webhooks) is this app's own.
    """

    def __init__(
        self,
        runtime: Runtime,
        rest: ASGIApp,
        probes: ASGIApp,
        build_control: Callable[[], "FastAPI"],
        around_control: Callable[["FastAPI"], ASGIApp],
    ) -> None:
        self.runtime = runtime
        self.rest = rest
        self.probes = probes
        self.state = State()  # tests and tools reach the runtime as app.state.runtime
        self.state.runtime = runtime
        self._build_control = build_control
        self._around_control = around_control
        self._control: FastAPI | None = None
        self._control_stack: ASGIApp | None = None  # the FastAPI app inside the checks
        self._building: asyncio.Future[ASGIApp] | None = None
        self._lock = threading.Lock()
        self._exit = AsyncExitStack()

    # -- the FastAPI part ------------------------------------------------------------------

    @property
    def fastapi(self) -> "FastAPI":
        """The /_emulator and inbox app (built now if the background build has not yet)."""
        with self._lock:
            if self._control is None:
                self._control = self._build_control()
                self._control_stack = self._around_control(self._control)
            return self._control

    @property
    def routes(self) -> list[BaseRoute]:
        return self.fastapi.routes

    def _built_stack(self) -> ASGIApp:
        self.fastapi  # noqa: B018 (builds it, and its stack, once)
        assert self._control_stack is not None
        return self._control_stack

    async def _control_app(self) -> ASGIApp:
        if self._control_stack is not None:
            return self._control_stack
        if self._building is None:
            self._building = asyncio.get_running_loop().run_in_executor(None, self._built_stack)
        return await asyncio.shield(self._building)

    # -- ASGI ------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path.startswith(REST_PREFIX):
                scope["app"] = self  # what routes read request.app.state from
                await self.rest(scope, receive, send)
                return
            if path in HEALTH_PATHS:
                scope["app"] = self
                await self.probes(scope, receive, send)
                return
        if kind == "lifespan":
            await self._lifespan(receive, send)
            return
        await (await self._control_app())(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._start()
                except BaseException as error:
                    await send({"type": "lifespan.startup.failed", "message": str(error)})
                    raise
                await send({"type": "lifespan.startup.complete"})
                # Ready now; assemble the rest of the app while the first requests come.
                self._building = asyncio.get_running_loop().run_in_executor(None, self._built_stack)
            elif message["type"] == "lifespan.shutdown":
                await self._stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start(self) -> None:
        runtime = self.runtime
        await runtime.writer.start()
        runtime.dispatcher.start()
        await self._exit.enter_async_context(pruning(runtime))
        await self._exit.enter_async_context(runtime.webhooks.running())

    async def _stop(self) -> None:
        runtime = self.runtime
        try:
            await self._exit.aclose()
            if self._building is not None:
                # No half-built app left behind a stop (its failure, if any, is the next
                # request's to see; there is none now).
                await asyncio.wait([self._building])
        finally:
            # The dispatcher's thread may be waiting on a write that this loop commits, so
            # it is stopped off the loop; then the writer commits what is queued.
            await asyncio.to_thread(runtime.dispatcher.stop)
            await runtime.writer.stop()
            runtime.close()


def create_app(settings: Settings, runtime: Runtime | None = None) -> EmulatorApp:
    """Build the emulator; fixtures and database are opened here, so bad ones fail at once."""
    runtime = runtime or Runtime.start(settings)
    metrics = _metrics_layer(runtime)

    # /rest, outermost first: the journal records what every layer inside did (a refused
    # request is journaled too); the Host check and the header cap (as on every route); the
    # body cap before fault matching, which may read the body; the faults; the routes.
    table = rest.routes(REST_PREFIX)
    rest_app: ASGIApp = rest.RestRouter(table)
    rest_app = FaultMiddleware(rest_app, runtime=runtime, prefix=REST_PREFIX)
    rest_app = BodyLimitMiddleware(rest_app, limit=settings.max_body_bytes, prefix=REST_PREFIX)
    rest_app = _checked(rest_app, settings)
    rest_app = JournalMiddleware(rest_app, runtime=runtime, prefix=REST_PREFIX)

    # /livez and /readyz: the checks, no journal.
    probes = _checked(rest.RestRouter(health.routes), settings)

    return EmulatorApp(
        runtime,
        metrics(rest_app, table),
        metrics(probes, list(health.routes)),
        lambda: _control_app(runtime, settings),
        # The same checks and metrics around the FastAPI app, once it is built.
        lambda control: metrics(_checked(control, settings), control.router.routes),
    )


def _checked(app: ASGIApp, settings: Settings) -> ASGIApp:
    """The Host check and the header cap, which every route has."""
    return HeaderLimitMiddleware(
        HostCheckMiddleware(app, settings=settings), settings.max_header_bytes
    )


def _metrics_layer(runtime: Runtime) -> Callable[[ASGIApp, Sequence[BaseRoute]], ASGIApp]:
    """Outermost on every stack when metrics are on: it times and counts what every other
    layer answered."""
    if runtime.metrics is None:
        return lambda app, _routes: app
    from emulator.middleware.metrics import MetricsMiddleware  # prometheus_client, when asked

    metrics = runtime.metrics
    return lambda app, routes: MetricsMiddleware(
        app, metrics=metrics, routes=routes, prefix=CONTROL_PREFIX
    )


def _control_app(runtime: Runtime, settings: Settings) -> "FastAPI":
    """The /_emulator API, its docs, /metrics and the web inbox, as one FastAPI app."""
    # Imported here: FastAPI and the routes' models are what makes the server slow to start.
    from fastapi import Depends, FastAPI
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from emulator.routes import (
        behaviour,
        control,
        device_feed,
        docs,
        events,
        inspect,
        metrics,
        registry,
        ui,
        webhooks,
    )
    from emulator.routes.deps import ADMIN_RESPONSES, require_admin

    app = FastAPI(
        title="push-emulator",
        version=__version__,
        # Served by routes.docs instead, behind the admin token like every /_emulator route.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime
    admin = [Depends(require_admin)]
    for router in (
        behaviour.router,
        control.router,
        inspect.router,
        events.router,
        webhooks.router,
        # Before the registry: /devices/{token}/inbox must not be read as a token.
        device_feed.router,
        registry.router,
        docs.router,
        ui.fragments,
    ):
        app.include_router(
            router, prefix=CONTROL_PREFIX, dependencies=admin, responses=ADMIN_RESPONSES
        )
    if runtime.metrics is not None:
        app.include_router(metrics.router, dependencies=admin)
    app.include_router(ui.pages)
    app.mount(ui.STATIC_URL, ui.static_files(), name="ui-static")

    async def http_error(request: Request, error: Exception) -> JsonResponse:
        assert isinstance(error, HTTPException)
        if error.status_code == 404:
            return no_route(request.method, request.url.path)
        if error.status_code == 405:
            message = f"Method {request.method} is not allowed on {request.url.path}"
        else:
            message = str(error.detail)
        return JsonResponse(
            {"code": error.status_code, "message": message},
            status_code=error.status_code,
            headers=dict(error.headers or {}),
        )

    async def validation_error(_request: Request, error: Exception) -> JsonResponse:
        assert isinstance(error, RequestValidationError)
        problems = []
        for item in error.errors():
            loc = [p for p in item["loc"] if p not in {"query", "body", "path", "header"}]
            where = ".".join(str(p) for p in loc)
            problems.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
        return error_response(BadRequest(problems))

    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected_error)
    return app


async def _api_error(_request: Request, error: Exception) -> JsonResponse:
    assert isinstance(error, ApiError)
    return error_response(error)


async def _client_gone(_request: Request, _error: Exception) -> JsonResponse:
    return client_gone()


async def _unexpected_error(_request: Request, error: Exception) -> JsonResponse:
    return unexpected_error(error)
