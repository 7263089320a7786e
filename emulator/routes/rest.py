"""The emulated D·engage routes under /rest: login, SendInstantPush, SendTransactionalPush.

These are plain Starlette routes, not FastAPI ones: the vendor's API has no schema for us to
generate, and FastAPI's per-request machinery (dependency solving, endpoint wrapping) cost
more than the send itself (see docs/PERFORMANCE.md).
"""

import sqlite3
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from emulator.bodies import parse_json_body, validate
from emulator.errors import ApiError, BadRequest, ServiceUnavailable
from emulator.events import SEND
from emulator.push import auth, transactional
from emulator.push.accept import (
    SUCCESS_MESSAGE,
    AcceptedSend,
    SendContext,
    accept_send,
    record_send,
)
from emulator.push.auth import TRANSACTIONAL_CALL
from emulator.push.report import delivery_report, parse_report_query
from emulator.routes.callers import get_runtime, push_caller
from emulator.runtime import Runtime
from emulator.storage.sends import trace_answer
from emulator.storage.writer import WriterClosed
from emulator.web import (
    JsonResponse,
    client_gone,
    client_ip,
    error_response,
    method_not_allowed,
    no_route,
    unexpected_error,
)


async def login(request: Request) -> JsonResponse:
    runtime = await get_runtime(request)
    data = parse_json_body(await request.body())
    if not isinstance(data, dict):
        raise BadRequest(["body: must be a JSON object with userkey and password"])
    credentials = validate(auth.LoginRequest, data)
    request.state.api_user = credentials.userkey
    issued = auth.login(
        runtime.users,
        runtime.tokens,
        credentials.userkey,
        credentials.password,
        client_ip(request.scope),
    )
    return JsonResponse(
        {"access_token": issued.token, "expires_in": runtime.tokens.ttl, "token_type": "Bearer"}
    )


async def send_instant(request: Request) -> JsonResponse:
    runtime = await get_runtime(request)
    caller = await push_caller(request, runtime)
    body = await request.body()
    context = runtime.send_context(
        caller.userkey, client_ip(request.scope), request.headers.get("content-type")
    )
    return await _store(request, runtime, accept_send(body, context))


async def _store(request: Request, runtime: Runtime, accepted: AcceptedSend) -> JsonResponse:
    """Store an accepted send, answer it once committed, and wake the dispatcher."""
    request.state.tracking_id = accepted.tracking_id
    try:
        # The 200 leaves only after this commit: a send the client saw accepted is on disk.
        send_id = await record_send(runtime.writer, accepted)
    except (WriterClosed, SQLAlchemyError, sqlite3.Error, OSError) as error:
        # A full disk or a broken file: a 503 that says nothing was recorded, never a 500.
        raise ServiceUnavailable() from error
    row = accepted.row
    runtime.events.publish(
        SEND,
        id=send_id,
        trackingId=accepted.tracking_id,
        status=row["status"],
        sendKind=row["kind"],
        apiUser=row["api_user"],
    )
    # Woken before the answer, so a caller that waits for the dispatcher to be idle after
    # its 200 knows this send is included.
    runtime.dispatcher.wake()
    return JsonResponse(accepted.response)


async def send_transactional(request: Request) -> JsonResponse:
    """SendTransactionalPush (CONTRACT §4): every outcome of a valid call is a 200, a refusal
    carrying a non-zero code; a repeated traceId gets the first answer again."""
    runtime = await get_runtime(request)
    caller = await push_caller(request, runtime, TRANSACTIONAL_CALL)
    body = await request.body()
    context = runtime.send_context(
        caller.userkey, client_ip(request.scope), request.headers.get("content-type")
    )
    parsed = transactional.judge(body, context)
    trace_id = parsed.traceId
    if trace_id is None:
        return await _transactional(request, runtime, parsed, body, context)
    since = context.now - timedelta(seconds=runtime.settings.trace_ttl)
    async with runtime.trace_locks.held(caller.userkey, trace_id):
        first = await runtime.read(lambda c: trace_answer(c, caller.userkey, trace_id, since))
        if first is not None:
            # Journaled as a repeat of the first call, which is what it is answered with.
            request.state.repeat_of = first.get("transactionId")
            tracking_ids = (first.get("data") or {}).get("trackingIds") or [None]
            request.state.tracking_id = tracking_ids[0]
            return JsonResponse(first)
        return await _transactional(request, runtime, parsed, body, context)


async def _transactional(
    request: Request,
    runtime: Runtime,
    parsed: transactional.TransactionalPushRequest,
    body: bytes,
    context: SendContext,
) -> JsonResponse:
    outcome = transactional.accept_transactional(parsed, body, context)
    if isinstance(outcome, transactional.Refusal):
        request.state.error = f"code {outcome.code}: {outcome.message}"
        return JsonResponse(outcome.response(context.transaction_id))
    return await _store(request, runtime, outcome)


async def send_report(request: Request) -> JsonResponse:
    """The delivery report (CONTRACT §3): same auth, bucket and envelope as the send."""
    runtime = await get_runtime(request)
    await push_caller(request, runtime)
    query = parse_report_query(request.query_params)
    request.state.tracking_id = query.tracking_id
    # Reads run off the event loop; a large send's report counts many rows.
    data = await run_in_threadpool(delivery_report, runtime.engine, query)
    return JsonResponse(
        {
            "code": 0,
            "message": SUCCESS_MESSAGE,
            "transactionId": runtime.ids.uuid4(),
            "data": data,
        }
    )


Endpoint = Callable[[Request], Awaitable[Response]]


class RestRouter:
    """The /rest routes as one ASGI app, answered without FastAPI's stack around them.

    A table lookup instead of matching every route of the app, and the envelope for every
    refusal here instead of in exception middleware: the send is the hot path, and each
    layer it no longer crosses is time the event loop spends on the next request
    (docs/PERFORMANCE.md). The /_emulator routes stay FastAPI's.
    """

    def __init__(self, table: list[Route]) -> None:
        self._endpoints: dict[tuple[str, str], Endpoint] = {}
        self._methods: dict[str, list[str]] = {}
        for route in table:
            for method in route.methods or ():
                self._endpoints[(method, route.path)] = route.endpoint
                self._methods.setdefault(route.path, []).append(method)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        endpoint = self._endpoints.get((method, path))
        response: Response
        if endpoint is None:
            allowed = self._methods.get(path)
            response = (
                method_not_allowed(method, path, sorted(allowed))
                if allowed
                else no_route(method, path)
            )
        else:
            try:
                response = await endpoint(Request(scope, receive, send))
            except ApiError as error:
                response = error_response(error)
            except ClientDisconnect:
                response = client_gone()
            except Exception as error:
                response = unexpected_error(error)
        await response(scope, receive, send)


def routes(prefix: str) -> list[Route]:
    """The emulated API's routes under `prefix` (app.py passes REST_PREFIX)."""
    return [
        Route(f"{prefix}/login", login, methods=["POST"]),
        Route(f"{prefix}/push/sendInstant", send_instant, methods=["POST"]),
        Route(f"{prefix}/push/sendInstant", send_report, methods=["GET"]),
        Route(f"{prefix}/transactional/push", send_transactional, methods=["POST"]),
    ]
