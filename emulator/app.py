"""`create_app(settings)`: the one place that wires every route, middleware and handler."""

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from emulator import __version__
from emulator.errors import ApiError, BadRequest
from emulator.fault_middleware import FaultMiddleware
from emulator.journal import JournalMiddleware
from emulator.responses import JsonResponse, error_response
from emulator.retention import pruning
from emulator.routes import control, docs, health, inspect, live, manage, rest
from emulator.routes.deps import require_admin
from emulator.runtime import Runtime
from emulator.settings import Settings

log = logging.getLogger("emulator")


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    """Build the emulator; fixtures and database are opened here, so bad ones fail at once."""
    runtime = runtime or Runtime.start(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await runtime.writer.start()
        runtime.dispatcher.start()
        # A large fixture set (and its index) lives as long as the server; left to the cyclic
        # collector, every full collection walks it and pauses all requests for ~0.3 s per
        # 100,000 devices. Frozen, collections only walk what requests allocate.
        gc.collect()
        gc.freeze()
        try:
            async with pruning(runtime):
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

    app.router.routes.extend(rest.routes)
    app.router.routes.extend(health.routes)
    admin = [Depends(require_admin)]
    app.include_router(control.router, dependencies=admin)
    app.include_router(inspect.router, dependencies=admin)
    app.include_router(live.router, dependencies=admin)
    app.include_router(manage.router, dependencies=admin)
    app.include_router(docs.router, dependencies=admin)

    # The last added is outermost: the journal wraps the faults, so it records what they did.
    app.add_middleware(FaultMiddleware, runtime=runtime)
    app.add_middleware(JournalMiddleware, runtime=runtime)

    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    return app


async def _api_error(_request: Request, error: Exception) -> JsonResponse:
    assert isinstance(error, ApiError)
    return error_response(error)


async def _http_error(request: Request, error: Exception) -> JsonResponse:
    assert isinstance(error, HTTPException)
    if error.status_code == 404:
        message = f"No such route: {request.method} {request.url.path}"
    elif error.status_code == 405:
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


async def _unexpected_error(_request: Request, error: Exception) -> JsonResponse:
    # A bug, not the caller's fault: logged with its traceback, answered in the envelope.
    log.exception("unexpected error", exc_info=error)
    return JsonResponse({"code": 500, "message": "Internal emulator error."}, status_code=500)
