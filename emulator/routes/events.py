"""GET /_emulator/events: new requests, sends and status changes as Server-Sent Events."""

from collections.abc import AsyncIterator
from typing import Annotated

import orjson
from fastapi import APIRouter, Query
from starlette.responses import StreamingResponse

from emulator.events import SHUTDOWN, STREAMED_KINDS, EventBus
from emulator.routes.deps import RuntimeDep

router = APIRouter(tags=["events"])

# A comment this often keeps proxies from closing an idle stream and shows a dead client.
KEEPALIVE_SECONDS = 15.0


async def event_stream(events: EventBus, kinds: frozenset[str] | None) -> AsyncIterator[bytes]:
    """Ends when the server shuts down; a client that leaves cancels it (and unsubscribes)."""
    async with events.subscribe(stream=True) as subscription:
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
            # The SSE id is the event's id, the one its webhook deliveries carry too.
            yield b"id: %d\nevent: %b\ndata: %b\n\n" % (
                event.id,
                event.kind.encode(),
                orjson.dumps(event.data),
            )


@router.get("/events")
async def events(
    runtime: RuntimeDep,
    kinds: Annotated[
        str | None, Query(description="comma-separated, of " + ", ".join(STREAMED_KINDS))
    ] = None,
) -> StreamingResponse:
    """Every event as it happens (kinds: emulator.events.STREAMED_KINDS); data is JSON."""
    wanted = frozenset(k.strip() for k in kinds.split(",") if k.strip()) if kinds else None
    return StreamingResponse(
        event_stream(runtime.events, wanted),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
