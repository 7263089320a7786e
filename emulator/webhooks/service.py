"""Delivering events to webhooks: a lane per webhook, in order, bounded, retried, off the send.

Each webhook gets its events in the order they happened, one at a time: the next is POSTed
once the last was delivered or given up. Every lane's queue is bounded on its own, so a dead
receiver loses its own oldest events (counted) and never holds back another webhook, a
send, or memory. At most `webhook_in_flight` attempts are under way at once across lanes.
"""

import asyncio
import contextlib
import logging
import threading
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from emulator.clock import Clock
from emulator.events import WEBHOOK, Event, EventBus
from emulator.settings import Settings
from emulator.webhooks.log import DELIVERED, FAILED, GAVE_UP, AttemptLog, Result
from emulator.webhooks.rules import WebhookRule, masked_url
from emulator.webhooks.sending import Outcome, event_body, post, request_headers

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("emulator.webhooks")

TRIES = 3


# A waiting event, and the loop time before which it is not POSTed (the webhook's delayMs).
_Waiting = tuple[Event, float]


@dataclass
class Lane:
    """One webhook's waiting events and their counts since it was set."""

    index: int
    rule: WebhookRule
    bound: int
    queue: deque[_Waiting] = field(init=False)  # full: appending drops the oldest
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: "asyncio.Task[None] | None" = None
    results: Counter[str] = field(default_factory=Counter)
    dropped: int = 0
    kinds: frozenset[str] = field(init=False)
    delay: float = field(init=False)  # seconds

    def __post_init__(self) -> None:
        self.kinds = self.rule.kinds()
        self.delay = self.rule.delayMs / 1000
        self.queue = deque(maxlen=self.bound)

    def status(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "webhook": self.rule.public(),
            "queued": len(self.queue),
            "delivered": self.results[DELIVERED],
            "failed": self.results[FAILED],
            "gaveUp": self.results[GAVE_UP],
            "dropped": self.dropped,
        }


class WebhookService:
    """The webhooks in force, their lanes and log; delivers while the server runs.

    Events arrive through a bus listener on the publisher's thread, which only checks the
    kind and hands the event to the loop: a send pays for no more than that.
    """

    def __init__(self, settings: Settings, events: EventBus, clock: Clock) -> None:
        self._settings = settings
        self._events = events
        self._clock = clock
        self.log = AttemptLog(settings.webhook_log)
        self._presets: list[WebhookRule] = []
        self._rules: list[WebhookRule] = []
        self._lanes: list[Lane] = []
        self._wanted: frozenset[str] = frozenset()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._stop_listening: Callable[[], None] | None = None
        # Events handed over by the bus listener, for the loop to take (see _on_event). The
        # loop takes them at once; only a stalled loop could fill it, and then it drops its
        # oldest too (counted in `dropped`).
        self._inbox: deque[Event] = deque(maxlen=settings.webhook_queue)
        self._drain_scheduled = False
        self._client: httpx.AsyncClient | None = None
        self._slots: asyncio.Semaphore | None = None
        # For the metrics: totals over the process's life, kept through resets.
        self.attempts: Counter[str] = Counter()
        self.dropped = 0

    # -- the rules ---------------------------------------------------------------------

    def preset(self, rules: list[WebhookRule]) -> None:
        """Webhooks from EMULATOR_WEBHOOKS: in force now, and again after every reset."""
        self._presets = list(rules)
        self.replace(self._presets)

    def replace(self, rules: list[WebhookRule]) -> None:
        """Set the webhooks (on the loop, while serving); what the old ones had waiting goes."""
        for lane in self._lanes:
            if lane.task is not None:
                lane.task.cancel()
        self._rules = list(rules)
        self._lanes = [Lane(i, rule, self._settings.webhook_queue) for i, rule in enumerate(rules)]
        self._wanted = frozenset().union(*(rule.kinds() for rule in rules))
        if self._loop is not None:
            self._start_lanes()
            self._listen(bool(rules))

    def clear(self) -> None:
        self.replace([])

    def reset(self) -> None:
        """Back to start-up: the preset webhooks with fresh counts, and an empty log."""
        self.replace(self._presets)
        self.log.clear()

    def status(self) -> list[dict[str, Any]]:
        return [lane.status() for lane in self._lanes]

    @property
    def queued(self) -> int:
        return sum(len(lane.queue) for lane in self._lanes)

    # -- running -----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["WebhookService"]:
        """Deliver for the lifespan of a server."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._slots = asyncio.Semaphore(self._settings.webhook_in_flight)
        # Fresh lanes on this loop (their events and tasks belong to it), listening if any.
        self.replace(self._rules)
        try:
            yield self
        finally:
            self._listen(False)
            tasks = [lane.task for lane in self._lanes if lane.task is not None]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._client is not None:
                await self._client.aclose()
            self._loop = self._client = self._slots = None

    def _http(self) -> "httpx.AsyncClient":
        """The client, made with the first attempt: httpx is not loaded before one (it is
        ~50 ms of the server's start), and most runs have no webhook."""
        if self._client is None:
            import httpx

            self._client = httpx.AsyncClient(
                timeout=self._settings.webhook_timeout,
                follow_redirects=False,
                # Receivers are services of the same stack: a proxy from the environment
                # would only stand between them.
                trust_env=False,
                limits=httpx.Limits(max_connections=self._settings.webhook_in_flight),
            )
        return self._client

    def _listen(self, wanted: bool) -> None:
        """Listen to the bus only while there are webhooks: with none, an event costs the
        bus nothing more than its number."""
        if wanted and self._stop_listening is None:
            self._stop_listening = self._events.listen(self._on_event)
        elif not wanted and self._stop_listening is not None:
            self._stop_listening()
            self._stop_listening = None

    def _start_lanes(self) -> None:
        assert self._loop is not None
        for lane in self._lanes:
            lane.task = self._loop.create_task(self._run(lane), name=f"webhook-{lane.index}")

    def _on_event(self, event: Event) -> None:
        # On the publisher's thread (the loop or the dispatcher), under the bus's lock, in id
        # order: check the kind, keep the event, and have the loop take what arrived in one
        # go. A burst costs one hand-over, and from the loop itself call_soon spares the
        # threadsafe call's write to the loop's wake-up pipe.
        loop = self._loop
        if event.kind not in self._wanted or loop is None:
            return
        if len(self._inbox) == self._inbox.maxlen:
            self.dropped += 1
        self._inbox.append(event)
        if self._drain_scheduled:
            return
        self._drain_scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop has closed: the server stopped
            if threading.get_ident() == self._loop_thread:
                loop.call_soon(self._drain)
            else:
                loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        # Cleared before taking: an event kept meanwhile either is taken below or schedules
        # another drain.
        self._drain_scheduled = False
        while self._inbox:
            self._enqueue(self._inbox.popleft())

    def _enqueue(self, event: Event) -> None:
        assert self._loop is not None
        now = self._loop.time()
        for lane in self._lanes:
            if event.kind not in lane.kinds:
                continue
            if len(lane.queue) == lane.bound:  # the append drops the oldest waiting event
                lane.dropped += 1
                self.dropped += 1
            lane.queue.append((event, now + lane.delay))
            lane.wake.set()

    async def _run(self, lane: Lane) -> None:
        assert self._loop is not None
        while True:
            while not lane.queue:
                lane.wake.clear()
                await lane.wake.wait()
            event, due = lane.queue.popleft()
            delay = due - self._loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                await self._deliver(lane, event)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A bug here must not end the lane: every later event would wait forever.
                log.exception("webhook %d: delivering event %d failed", lane.index, event.id)

    async def _deliver(self, lane: Lane, event: Event) -> None:
        assert self._slots is not None
        body = event_body(event, self._settings.instance)
        headers = request_headers(lane.rule, event, body)
        for attempt in range(1, TRIES + 1):
            at = self._clock.now()
            async with self._slots:
                outcome = await post(
                    self._http(), lane.rule.url, body, headers, self._settings.webhook_timeout
                )
            result = DELIVERED if outcome.ok else GAVE_UP if attempt == TRIES else FAILED
            self._record(lane, event, attempt, at, result, outcome)
            if outcome.ok:
                return
            if attempt < TRIES:
                await asyncio.sleep(self._settings.webhook_backoff * 2 ** (attempt - 1))

    def _record(
        self,
        lane: Lane,
        event: Event,
        attempt: int,
        at: Any,
        result: Result,
        outcome: Outcome,
    ) -> None:
        lane.results[result] += 1
        self.attempts[result] += 1
        entry = self.log.add(
            at=at,
            webhook=lane.index,
            url=masked_url(lane.rule.url),
            event_id=event.id,
            event_kind=event.kind,
            attempt=attempt,
            result=result,
            status=outcome.status,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
        )
        self._events.publish(WEBHOOK, **entry.to_json())
