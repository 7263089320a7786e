"""Waiting for sends without polling: re-count only when the event bus says a send changed."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from emulator.events import EventBus, Subscription
from emulator.models import COMPLETED
from emulator.queries import SendFilters

DEFAULT_TIMEOUT = 10.0
# A waiter holds a connection open; past this the caller is told, not kept hanging.
MAX_TIMEOUT = 120.0
# Only these can change how many sends match; requests, prunes of old rows and such cannot.
WAKING_KINDS = frozenset({"send", "send.status", "reset"})


def target_filters(filters: SendFilters) -> SendFilters:
    """Without a status, a wait means "delivered": Completed. `status=Scheduled` waits for that."""
    return filters if filters.status else filters.with_status(COMPLETED)


@dataclass(frozen=True)
class WaitOutcome:
    matched: int
    satisfied: bool
    shutting_down: bool = False


def _drain(subscription: Subscription) -> tuple[bool, bool]:
    """Take every event already queued: (did any change sends, is the server shutting down)."""
    waking = stopping = False
    while not subscription.queue.empty():
        event = subscription.queue.get_nowait()
        waking = waking or event.kind in WAKING_KINDS
        stopping = stopping or event.kind == "shutdown"
    return waking, stopping


async def wait_for_count(
    events: EventBus,
    count_matching: Callable[[], int],
    count: int,
    timeout: float,
) -> WaitOutcome:
    """Until `count_matching()` reaches `count` or `timeout` real seconds pass.

    The subscription opens before the first count, so a change that commits in between
    still wakes us. A burst of events costs one count, not one each. Real time, not the
    emulator's clock: a frozen clock must not make a waiter hang forever.
    """
    deadline = time.monotonic() + timeout
    async with events.subscribe() as subscription:
        matched = await asyncio.to_thread(count_matching)
        while matched < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return WaitOutcome(matched, satisfied=False)
            event = await subscription.next(remaining)
            if event is None:
                return WaitOutcome(matched, satisfied=False)
            waking, stopping = _drain(subscription)
            if event.kind == "shutdown" or stopping:
                return WaitOutcome(matched, satisfied=False, shutting_down=True)
            if event.kind in WAKING_KINDS or waking:
                matched = await asyncio.to_thread(count_matching)
        return WaitOutcome(matched, satisfied=True)
