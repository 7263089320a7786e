"""GET /_emulator/events: new requests, sends and status changes as Server-Sent Events."""

from collections.abc import AsyncIterator

import orjson
from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from emulator.errors import BadRequest
from emulator.events import SHUTDOWN, STREAMED_KINDS, EventBus
from emulator.filters import EVENT_PARAMS, openapi_parameters, unknown, unknown_params
from emulator.routes.deps import RuntimeDep

router = APIRouter(tags=["events"])

# A comment this often keeps proxies from closing an idle stream and shows a dead client.
KEEPALIVE_SECONDS = 15.0


async def event_stream(
    events: EventBus, kinds: frozenset[str] | None, api_user: str | None = None
) -> AsyncIterator[bytes]:
    """Ends when the server shuts down; a client that leaves cancels it (and unsubscribes).

    With `api_user`, events that name another API user are left out; those that name none
    (a reset, a prune) concern everyone and pass."""
    async with events.subscribe() as subscription:
        # Sent once subscribed: a client that has read it will not miss a later event.
        yield b": connected\n\n"
        while True:
            event = await subscription.next(KEEPALIVE_SECONDS)
            if event is None:
                yield b": keep-alive\n\n"
                continue
            if event.kind == SHUTDOWN:
                return
            if kinds is not None and event.kind not in kinds:
                continue
            if api_user is not None and event.data.get("apiUser", api_user) != api_user:
                continue
            yield (
                b"event: " + event.kind.encode() + b"\ndata: " + orjson.dumps(event.data) + b"\n\n"
            )


def wanted_kinds(query: dict[str, str]) -> frozenset[str] | None:
    """The kinds asked for (None: all); an unknown parameter or kind is a 400, never a
    stream that silently stays quiet."""
    problems = unknown_params(query, EVENT_PARAMS)
    given = [k.strip() for k in query.get("kinds", "").split(",") if k.strip()]
    problems += [
        f"kinds: {unknown(k, STREAMED_KINDS, 'kind')}" for k in given if k not in STREAMED_KINDS
    ]
    if problems:
        raise BadRequest(problems)
    return frozenset(given) or None


_DOC = {"parameters": openapi_parameters(EVENT_PARAMS)}
_DOC["parameters"][0]["description"] += ": " + ", ".join(STREAMED_KINDS)


@router.get("/events", openapi_extra=_DOC)
async def events(request: Request, runtime: RuntimeDep) -> StreamingResponse:
    """Every event as it happens (kinds: emulator.events.STREAMED_KINDS); data is JSON."""
    query = dict(request.query_params)
    wanted = wanted_kinds(query)
    return StreamingResponse(
        event_stream(runtime.events, wanted, query.get("apiUser") or None),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
