"""In-process events (new requests, sends, status changes) for waiters and live streams."""

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Literal

# Every kind of event, in one place. Streamed to clients (GET /_emulator/events):
REQUEST: Final = "request"  # a /rest request was journaled: method, path, status, apiUser
SEND: Final = "send"  # a send was accepted and stored: id, trackingId, status
SEND_STATUS: Final = "send.status"  # a stored send moved on: id, trackingId, status
DELIVERY: Final = "delivery"  # a delivery was opened or clicked: id, sendId, opened, clicked
SEND_READ: Final = "send.read"  # sends were marked read in the inbox: key (None: all), marked
RESET: Final = "reset"  # POST /_emulator/reset cleared everything
PRUNE: Final = "prune"  # retention removed old rows: sends, deliveries, requests
# Internal only, never streamed:
SHUTDOWN: Final = "shutdown"  # the server is stopping: streams and waits end
CLOCK: Final = "clock"  # the emulator's clock moved (the pruner's own subscription)

EventKind = Literal[
    "request",
    "send",
    "send.status",
    "delivery",
    "send.read",
    "reset",
    "prune",
    "shutdown",
    "clock",
]
STREAMED_KINDS: tuple[str, ...] = (REQUEST, SEND, SEND_STATUS, DELIVERY, SEND_READ, RESET, PRUNE)

# A subscriber that falls this far behind loses its oldest events rather than growing memory.
SUBSCRIBER_BACKLOG = 1000


@dataclass(frozen=True)
class Event:
    kind: EventKind
    data: dict[str, Any] = field(default_factory=dict)


class Subscription:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[Event] = asyncio.Queue(SUBSCRIBER_BACKLOG)

    def _put(self, event: Event) -> None:
        if self.queue.full():
            self.queue.get_nowait()
        self.queue.put_nowait(event)

    async def next(self, timeout: float | None = None) -> Event | None:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a cancellation
        # that lands as the queue hands over an event, and the cancelled task (the pruner, at
        # shutdown) then runs on and hangs the server's stop.
        try:
            async with asyncio.timeout(timeout):
                return await self.queue.get()
        except TimeoutError:
            return None


class EventBus:
    """Publish from any thread; each subscriber receives on its own event loop."""

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self._lock = threading.Lock()

    def publish(self, kind: EventKind, **data: Any) -> None:
        event = Event(kind, data)
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            # A closed loop means that subscriber is on its way out.
            with contextlib.suppress(RuntimeError):
                subscription.loop.call_soon_threadsafe(subscription._put, event)

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Subscription]:
        subscription = Subscription(asyncio.get_running_loop())
        with self._lock:
            self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)
