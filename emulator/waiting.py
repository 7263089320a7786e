"""Waiting for sends without polling: re-count only when the event bus says a send changed."""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from emulator.events import RESET, SEND, SEND_STATUS, SHUTDOWN, EventBus, Subscription
from emulator.storage.sends import SendFilters, count_sends, list_sends, recent_non_matching
from emulator.storage.tables import COMPLETED

if TYPE_CHECKING:
    from emulator.runtime import Runtime

DEFAULT_TIMEOUT = 10.0
# A waiter holds a connection open; past this the caller is told, not kept hanging.
MAX_TIMEOUT = 120.0
# Only these can change how many sends match; requests, prunes of old rows and such cannot.
WAKING_KINDS = frozenset({SEND, SEND_STATUS, RESET})
# A failed wait shows this many of the newest sends that did not match.
NEAR_MISSES = 3
# A satisfied wait lists at most this many of the sends it matched.
MAX_LISTED = 500


def target_filters(filters: SendFilters) -> SendFilters:
    """Without a status, a wait means "delivered": Completed. `status=Scheduled` waits for that."""
    return filters if filters.status else filters.with_status(COMPLETED)


@dataclass(frozen=True)
class WaitOutcome:
    matched: int
    satisfied: bool
    shutting_down: bool = False


def _drain(subscription: Subscription, kinds: frozenset[str]) -> tuple[bool, bool]:
    """Take every event already queued: (is any of `kinds`, is the server shutting down)."""
    waking = stopping = False
    while not subscription.queue.empty():
        event = subscription.queue.get_nowait()
        waking = waking or event.kind in kinds
        stopping = stopping or event.kind == SHUTDOWN
    return waking, stopping


async def wait_for_count(
    events: EventBus,
    count_matching: Callable[[], int],
    count: int,
    timeout: float,
    waking_kinds: frozenset[str] = WAKING_KINDS,
) -> WaitOutcome:
    """Until `count_matching()` reaches `count` or `timeout` real seconds pass; it is counted
    again only after an event of `waking_kinds`.

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
            waking, stopping = _drain(subscription, waking_kinds)
            if event.kind == SHUTDOWN or stopping:
                return WaitOutcome(matched, satisfied=False, shutting_down=True)
            if event.kind in waking_kinds or waking:
                matched = await asyncio.to_thread(count_matching)
        return WaitOutcome(matched, satisfied=True)


@dataclass(frozen=True)
class WaitAnswer:
    status: int  # 200 when satisfied, 408 on timeout, 503 when the server is stopping
    body: dict[str, Any]


async def wait_for_sends(
    runtime: "Runtime", filters: SendFilters, count: int, timeout: float
) -> WaitAnswer:
    """GET /_emulator/sends/wait: the matched sends, or why not with the near misses."""
    filters = target_filters(filters)
    timeout = min(timeout, MAX_TIMEOUT)
    await runtime.writer.barrier()

    def count_matching() -> int:
        with runtime.engine.connect() as connection:
            return count_sends(connection, filters)

    outcome = await wait_for_count(runtime.events, count_matching, count, timeout)
    if outcome.satisfied:
        limit = min(count, MAX_LISTED)
        page = await runtime.read(lambda c: list_sends(c, filters, None, limit))
        return WaitAnswer(200, {"matched": outcome.matched, "items": page.items})
    near = await runtime.read(lambda c: recent_non_matching(c, filters, NEAR_MISSES))
    if outcome.shutting_down:
        message, status = "The emulator is shutting down.", 503
    else:
        message = (
            f"Timed out after {timeout:g}s: {outcome.matched} of {count} "
            f"{filters.status} send(s) matched."
        )
        status = 408
    body = {
        "code": status,
        "message": message,
        "matched": outcome.matched,
        "count": count,
        "status": filters.status,
        "nearMisses": near,
    }
    return WaitAnswer(status, body)
