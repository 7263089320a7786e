"""`create_app(settings)`: the one place that wires every route, middleware and handler."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from emulator import CONTROL_PREFIX, REST_PREFIX, __version__
from emulator.errors import ApiError, BadRequest
from emulator.middleware.body_limit import BodyLimitMiddleware
from emulator.middleware.faults import FaultMiddleware
from emulator.middleware.header_limit import HeaderLimitMiddleware
from emulator.middleware.hosts import HostCheckMiddleware
from emulator.middleware.journal import JournalMiddleware
from emulator.middleware.metrics import MetricsMiddleware
from emulator.routes import (
    behaviour,
    control,
    device_feed,
    docs,
    events,
    health,
    inspect,
    metrics,
    registry,
    rest,
    ui,
    webhooks,
)
from emulator.routes.deps import ADMIN_RESPONSES, require_admin
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

log = logging.getLogger("emulator")


class EmulatorApp:
    """What the server serves: /rest through its own lean stack (the journal, the checks,
    the body cap, the faults, the RestRouter), everything else — and the lifespan — through
    FastAPI. Two stacks, because FastAPI's own layers cost the send more than its work."""

    def __init__(self, fastapi: FastAPI, rest: ASGIApp, prefix: str) -> None:
        self.fastapi = fastapi
        self.rest = rest
        self.prefix = prefix
        self.state = fastapi.state  # tests and tools reach the runtime as app.state.runtime

    @property
    def routes(self) -> list[BaseRoute]:
        return self.fastapi.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            scope["app"] = self.fastapi  # what routes read request.app.state from
            await self.rest(scope, receive, send)
        else:
            await self.fastapi(scope, receive, send)


def create_app(settings: Settings, runtime: Runtime | None = None) -> EmulatorApp:
    """Build the emulator; fixtures and database are opened here, so bad ones fail at once."""
    runtime = runtime or Runtime.start(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.writer.start()
        runtime.dispatcher.start()
        try:
            async with pruning(runtime), runtime.webhooks.running():
                yield
        finally:
            # The dispatcher's thread may be waiting on a write that this loop commits, so it
            # is stopped off the loop; then the writer commits what is queued.
            await asyncio.to_thread(runtime.dispatcher.stop)
            await runtime.writer.stop()
            runtime.close()

    app = FastAPI(
        title="push-emulator",
        version=__version__,
        lifespan=lifespan,
        # Served by routes.docs instead, behind the admin token like every /_emulator route.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.runtime = runtime

    app.router.routes.extend(health.routes)
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

    # The Host check and the header cap apply to every route. The last added is outermost.
    app.add_middleware(HostCheckMiddleware, settings=settings)
    app.add_middleware(HeaderLimitMiddleware, limit=settings.max_header_bytes)

    # /rest, outermost first: the journal records what every layer inside did (a refused
    # request is journaled too); the checks; the body cap before fault matching, which may
    # read the body; the faults; the routes.
    table = rest.routes(REST_PREFIX)
    rest_app: ASGIApp = rest.RestRouter(table)
    rest_app = FaultMiddleware(rest_app, runtime=runtime, prefix=REST_PREFIX)
    rest_app = BodyLimitMiddleware(rest_app, limit=settings.max_body_bytes, prefix=REST_PREFIX)
    rest_app = HostCheckMiddleware(rest_app, settings=settings)
    rest_app = HeaderLimitMiddleware(rest_app, limit=settings.max_header_bytes)
    rest_app = JournalMiddleware(rest_app, runtime=runtime, prefix=REST_PREFIX)
    if runtime.metrics is not None:
        # Outermost on both stacks: it times and counts what every other layer answered.
        rest_app = MetricsMiddleware(
            rest_app, metrics=runtime.metrics, routes=table, prefix=CONTROL_PREFIX
        )
        app.add_middleware(
            MetricsMiddleware,
            metrics=runtime.metrics,
            routes=app.router.routes,
            prefix=CONTROL_PREFIX,
        )

    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected_error)
    return EmulatorApp(app, rest_app, REST_PREFIX)


async def _api_error(_request: Request, error: Exception) -> JsonResponse:
    assert isinstance(error, ApiError)
    return error_response(error)


async def _http_error(request: Request, error: Exception) -> JsonResponse:
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


async def _validation_error(_request: Request, error: Exception) -> JsonResponse:
    assert isinstance(error, RequestValidationError)
    problems = []
    for item in error.errors():
        loc = [part for part in item["loc"] if part not in {"query", "body", "path", "header"}]
        where = ".".join(str(p) for p in loc)
        problems.append(f"{where}: {item['msg']}" if where else str(item["msg"]))
    return error_response(BadRequest(problems))


async def _client_gone(_request: Request, _error: Exception) -> JsonResponse:
    return client_gone()


async def _unexpected_error(_request: Request, error: Exception) -> JsonResponse:
    return unexpected_error(error)
