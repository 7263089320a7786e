"""In-process events (new requests, sends, status changes) for waiters and live streams."""

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal

log = logging.getLogger("emulator.events")

# Every kind of event, in one place. Streamed to clients (GET /_emulator/events):
REQUEST: Final = "request"  # a /rest request was journaled: method, path, status, apiUser
SEND: Final = "send"  # a send was accepted and stored: id, trackingId, status
SEND_STATUS: Final = "send.status"  # a stored send moved on: id, trackingId, status
DELIVERY: Final = "delivery"  # a delivery was opened or clicked: id, sendId, opened, clicked
# A send's delayed deliveries became final, or its planned opens happened: sendId, final,
# opened (how many of each).
DELIVERIES: Final = "deliveries"
SEND_READ: Final = "send.read"  # sends were marked read in the inbox: key (None: all), marked
RESET: Final = "reset"  # POST /_emulator/reset cleared everything
PRUNE: Final = "prune"  # retention removed old rows: sends, deliveries, requests
WEBHOOK: Final = "webhook"  # a webhook attempt ended: its log entry (never sent to webhooks)
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
    "send.read",
    "reset",
    "prune",
    "webhook",
    "push",
    "shutdown",
    "clock",
]
STREAMED_KINDS: tuple[str, ...] = (
    REQUEST, SEND, SEND_STATUS, DELIVERY, DELIVERIES, SEND_READ, RESET, PRUNE, WEBHOOK
)  # fmt: skip
# What a webhook may ask for: every streamed kind but its own attempts, which would feed back.
WEBHOOK_KINDS: tuple[str, ...] = tuple(k for k in STREAMED_KINDS if k != WEBHOOK)

# A subscriber that falls this far behind loses its oldest events rather than growing memory.
SUBSCRIBER_BACKLOG = 1000


# Not frozen: a frozen dataclass costs four times as much to build, and one is built for every
# request and status change. Receivers share each event and never change it.
@dataclass(slots=True)
class Event:
    kind: EventKind
    data: dict[str, Any] = field(default_factory=dict)
    id: int = 0  # numbered by the bus from 1, in publishing order, for the life of the process
    at: datetime | None = None  # the emulator's clock when it was published


# Called on the publisher's thread, in publishing order; it must be quick and never publish.
Listener = Callable[[Event], None]


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


def _deliver(subscriptions: Iterable[Subscription], event: Event) -> None:
    for subscription in subscriptions:
        # A closed loop means that subscriber is on its way out.
        with contextlib.suppress(RuntimeError):
            subscription.loop.call_soon_threadsafe(subscription._put, event)


class EventBus:
    """Publish from any thread; each subscriber receives on its own event loop, and each
    listener on the publisher's thread. Every event gets its id and time here, once, so the
    stream and the webhooks name it alike.

    A device's feed subscribes to one token: it receives that device's PUSH events (and
    SHUTDOWN) only, so a fan-out publishes a push only for the few tokens someone watches;
    pushes go to no listener (webhooks, metrics) and take no id from the stream's.
    """

    def __init__(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._now = now
        self._subscribers: set[Subscription] = set()
        self._devices: dict[str, set[Subscription]] = {}
        self._listeners: list[Listener] = []
        self._streams = 0
        self._last_id = 0
        self._lock = threading.Lock()

    def publish(self, kind: EventKind, **data: Any) -> None:
        # Numbered and handed on under one lock, so every receiver sees the ids in order
        # even when the loop and the dispatcher's thread publish at once.
        with self._lock:
            self._last_id += 1
            feeds = [s for feed in self._devices.values() for s in feed] if kind == SHUTDOWN else []
            if not self._subscribers and not self._listeners and not feeds:
                return
            event = Event(kind, data, self._last_id, self._now())
            for listener in self._listeners:
                try:
                    listener(event)
                except Exception:
                    log.exception("an event listener failed")
            _deliver(self._subscribers, event)
            _deliver(feeds, event)

    def publish_push(self, token: str, data: dict[str, Any]) -> None:
        """A push shown on the device with this token, to that device's feeds."""
        with self._lock:
            feed = self._devices.get(token)
            if feed:
                _deliver(feed, Event(PUSH, data, 0, self._now()))

    def watched_devices(self) -> frozenset[str]:
        """The tokens that have a feed open right now."""
        with self._lock:
            return frozenset(self._devices)

    def listen(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every event from now on; returns the call that stops it."""
        with self._lock:
            self._listeners.append(listener)

        def stop() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return stop

    @asynccontextmanager
    async def subscribe(
        self, *, stream: bool = False, device: str | None = None
    ) -> AsyncIterator[Subscription]:
        """A queue of every event from now on; `stream` counts it as an open event stream.
        With `device`, the queue of that device's pushes only (a device feed)."""
        subscription = Subscription(asyncio.get_running_loop())
        with self._lock:
            if device is None:
                self._subscribers.add(subscription)
                self._streams += stream
            else:
                self._devices.setdefault(device, set()).add(subscription)
        try:
            yield subscription
        finally:
            with self._lock:
                if device is None:
                    self._subscribers.discard(subscription)
                    self._streams -= stream
                else:
                    feed = self._devices.get(device, set())
                    feed.discard(subscription)
                    if not feed:
                        self._devices.pop(device, None)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers) + sum(len(feed) for feed in self._devices.values())

    @property
    def stream_count(self) -> int:
        """Open GET /_emulator/events streams."""
        return self._streams
