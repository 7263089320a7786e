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
# A send's delayed deliveries became final, or its planned opens happened: sendId, final,
# opened (how many of each).
DELIVERIES: Final = "deliveries"
RESET: Final = "reset"  # POST /_emulator/reset cleared everything
PRUNE: Final = "prune"  # retention removed old rows: sends, deliveries, requests
# Streamed on a device's own feed only (GET /_emulator/devices/{token}/events): a push that
# device was shown, with its rendered title, message, url, media and language.
PUSH: Final = "push"
# Internal only, never streamed:
SHUTDOWN: Final = "shutdown"  # the server is stopping: streams and waits end
CLOCK: Final = "clock"  # the emulator's clock moved (the pruner's own subscription)

EventKind = Literal[
    "request",
    "send",
    "send.status",
    "delivery",
    "deliveries",
    "reset",
    "prune",
    "push",
    "shutdown",
    "clock",
]
STREAMED_KINDS: tuple[str, ...] = (REQUEST, SEND, SEND_STATUS, DELIVERY, DELIVERIES, RESET, PRUNE)

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


def _deliver(subscriptions: list[Subscription], event: Event) -> None:
    for subscription in subscriptions:
        # A closed loop means that subscriber is on its way out.
        with contextlib.suppress(RuntimeError):
            subscription.loop.call_soon_threadsafe(subscription._put, event)


class EventBus:
    """Publish from any thread; each subscriber receives on its own event loop.

    A device's feed subscribes to one token: it receives that device's PUSH events (and
    SHUTDOWN) only, so a fan-out publishes a push only for the few tokens someone watches.
    """

    def __init__(self) -> None:
        self._subscribers: set[Subscription] = set()
        self._devices: dict[str, set[Subscription]] = {}
        self._lock = threading.Lock()

    def publish(self, kind: EventKind, **data: Any) -> None:
        event = Event(kind, data)
        with self._lock:
            subscribers = list(self._subscribers)
            if kind == SHUTDOWN:
                subscribers += [s for feed in self._devices.values() for s in feed]
        _deliver(subscribers, event)

    def publish_push(self, token: str, data: dict[str, Any]) -> None:
        """A push shown on the device with this token, to that device's feeds."""
        with self._lock:
            subscribers = list(self._devices.get(token, ()))
        _deliver(subscribers, Event(PUSH, data))

    def watched_devices(self) -> frozenset[str]:
        """The tokens that have a feed open right now."""
        with self._lock:
            return frozenset(self._devices)

    @asynccontextmanager
    async def subscribe(self, device: str | None = None) -> AsyncIterator[Subscription]:
        """Every streamed event, or with `device` that device's pushes only."""
        subscription = Subscription(asyncio.get_running_loop())
        with self._lock:
            if device is None:
                self._subscribers.add(subscription)
            else:
                self._devices.setdefault(device, set()).add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                if device is None:
                    self._subscribers.discard(subscription)
                else:
                    feed = self._devices.get(device, set())
                    feed.discard(subscription)
                    if not feed:
                        self._devices.pop(device, None)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers) + sum(len(feed) for feed in self._devices.values())
