"""The emulated D·engage routes under /rest: login and SendInstantPush.

These are plain Starlette routes, not FastAPI ones: the vendor's API has no schema for us to
generate, and FastAPI's per-request machinery (dependency solving, endpoint wrapping) cost
more than the send itself (see docs/PERFORMANCE.md).
"""

import sqlite3
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import BaseRoute, Route

from emulator.bodies import parse_json_body, validate
from emulator.errors import BadRequest, ServiceUnavailable
from emulator.events import SEND
from emulator.push import auth
from emulator.push.accept import SUCCESS_MESSAGE, accept_send, record_send
from emulator.push.report import delivery_report, parse_report_query
from emulator.routes.deps import get_runtime, push_caller
from emulator.storage.writer import WriterClosed
from emulator.web import JsonResponse, client_ip


class LoginRequest(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")

    userkey: Annotated[str, Field(min_length=1)]
    password: Annotated[str, Field(min_length=1)]


async def login(request: Request) -> JsonResponse:
    runtime = await get_runtime(request)
    data = parse_json_body(await request.body())
    if not isinstance(data, dict):
        raise BadRequest(["body: must be a JSON object with userkey and password"])
    credentials = validate(LoginRequest, data)
    request.state.api_user = credentials.userkey
    issued = auth.login(
        runtime.fixtures,
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
    accepted = accept_send(body, context)
    request.state.tracking_id = accepted.tracking_id
    try:
        # The 200 leaves only after this commit: a send the client saw accepted is on disk.
        send_id = await record_send(runtime.writer, accepted)
    except (WriterClosed, SQLAlchemyError, sqlite3.Error, OSError) as error:
        # A full disk or a broken file: a 503 that says nothing was recorded, never a 500.
        raise ServiceUnavailable() from error
    runtime.events.publish(
        SEND, id=send_id, trackingId=accepted.tracking_id, status=accepted.row["status"]
    )
    # Woken before the answer, so a caller that waits for the dispatcher to be idle after
    # its 200 knows this send is included.
    runtime.dispatcher.wake()
    return JsonResponse(accepted.response)


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


def routes(prefix: str) -> list[BaseRoute]:
    """The emulated API's routes under `prefix` (app.py passes REST_PREFIX)."""
    return [
        Route(f"{prefix}/login", login, methods=["POST"]),
        Route(f"{prefix}/push/sendInstant", send_instant, methods=["POST"]),
        Route(f"{prefix}/push/sendInstant", send_report, methods=["GET"]),
    ]
