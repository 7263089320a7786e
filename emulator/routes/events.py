"""GET /_emulator/events: new requests, sends and status changes as Server-Sent Events."""

from collections.abc import AsyncIterator, Callable
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from emulator.client.shapes import WebhookAttempt
from emulator.errors import BadRequest
from emulator.events import (
    DELIVERIES,
    DELIVERY,
    PRUNE,
    REQUEST,
    RESET,
    SEND,
    SEND_READ,
    SEND_STATUS,
    SHUTDOWN,
    STREAMED_KINDS,
    WEBHOOK,
    Event,
    EventBus,
)
from emulator.filters import EVENT_PARAMS, openapi_parameters, unknown, unknown_params
from emulator.openapi import EVENT_STREAM, JSON, Shape, error, schema_of
from emulator.routes.deps import RuntimeDep

router = APIRouter(tags=["events"])


class RequestEvent(Shape):
    method: str
    path: str
    status: int
    apiUser: str | None


class SendEvent(Shape):
    id: int
    trackingId: str
    status: str
    apiUser: str
    sendKind: Literal["instant", "transactional"] | None = None  # on `send` only
    # On `send.status` Completed: what the first device was shown.
    title: str | None = None
    message: str | None = None


class ReadEvent(Shape):
    key: str | None  # the send's tracking or transaction id; null: every send
    marked: int


class DeliveryEvent(Shape):
    id: int
    sendId: int
    opened: bool
    clicked: bool
    apiUser: str


class DeliveriesEvent(Shape):
    """A send's delayed deliveries became final, or its planned opens happened."""

    sendId: int
    final: int  # deliveries made final (Delivered or Failed) in this step
    opened: int  # planned opens (and clicks) done in this step
    apiUser: str | None


class ResetEvent(Shape):
    pass


class PruneEvent(Shape):
    sends: int
    deliveries: int
    requests: int


# What each streamed kind's `data` holds; a kind added to events.py must be described here.
EVENT_DATA: dict[str, Any] = {
    REQUEST: RequestEvent,
    SEND: SendEvent,
    SEND_STATUS: SendEvent,
    DELIVERY: DeliveryEvent,
    DELIVERIES: DeliveriesEvent,
    SEND_READ: ReadEvent,
    WEBHOOK: WebhookAttempt,
    RESET: ResetEvent,
    PRUNE: PruneEvent,
}
assert set(EVENT_DATA) == set(STREAMED_KINDS), "every streamed kind has its data described"


def _event_item(kind: str, model: Any) -> dict[str, Any]:
    data = {"type": "string", "contentMediaType": JSON, "contentSchema": schema_of(model)}
    return {
        "type": "object",
        "properties": {"event": {"const": kind}, "data": data},
        "required": ["event", "data"],
    }


_STREAM_EXAMPLE = (
    ": connected\n\n"
    'event: send\ndata: {"id":1,"trackingId":"8d3f1c62-2b9e-4c1a-9f7e-3a6b5c4d2e10",'
    '"status":"Queued"}\n\n'
    ": keep-alive\n\n"
)
_STREAM = {
    200: {
        "description": "Server-Sent Events, one per change; `data` is JSON. A comment "
        "(`: connected`) opens the stream once subscribed, and `: keep-alive` follows "
        "every 15 s of silence.",
        "content": {
            EVENT_STREAM: {
                "schema": {"type": "string"},
                # OpenAPI 3.2's way to describe each item of a stream.
                "itemSchema": {"oneOf": [_event_item(k, m) for k, m in EVENT_DATA.items()]},
                "example": _STREAM_EXAMPLE,
            }
        },
    },
    **error(400, "kinds: unknown event kind 'sends'; known: ...", "an unknown kind"),
}


class EventStreamResponse(StreamingResponse):
    media_type = EVENT_STREAM


# A comment this often keeps proxies from closing an idle stream and shows a dead client.
KEEPALIVE_SECONDS = 15.0


async def event_stream(
    events: EventBus,
    kinds: frozenset[str] | None,
    api_user: str | None = None,
    device: str | None = None,
    accept: Callable[[Event], bool] | None = None,
) -> AsyncIterator[bytes]:
    """Ends when the server shuts down; a client that leaves cancels it (and unsubscribes).

    With `api_user`, events that name another API user are left out; those that name none
    (a reset, a prune) concern everyone and pass. With `device`, the stream is that device's
    own feed (its `push` events); `accept` may narrow any stream further."""
    async with events.subscribe(stream=device is None, device=device) as subscription:
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
            if accept is not None and not accept(event):
                continue
            # The SSE id is the event's id, the one its webhook deliveries carry too; a
            # device feed's pushes have none of the stream's ids.
            head = b"id: %d\n" % event.id if event.id else b""
            yield head + b"event: %b\ndata: %b\n\n" % (
                event.kind.encode(),
                orjson.dumps(event.data),
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


@router.get("/events", openapi_extra=_DOC, response_class=EventStreamResponse, responses=_STREAM)
async def events(request: Request, runtime: RuntimeDep) -> EventStreamResponse:
    """Every event as it happens (kinds: emulator.events.STREAMED_KINDS); data is JSON."""
    query = dict(request.query_params)
    wanted = wanted_kinds(query)
    return sse_response(event_stream(runtime.events, wanted, query.get("apiUser") or None))


def sse_response(stream: AsyncIterator[bytes]) -> EventStreamResponse:
    return EventStreamResponse(
        stream, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
