"""Removing recorded data: clearing on request, and pruning by count and age in the background."""

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, delete, or_, select

from emulator.events import CLOCK, PRUNE, REQUEST, SEND, SHUTDOWN, Event, Subscription
from emulator.storage.tables import deliveries, journal, sends

if TYPE_CHECKING:
    from emulator.runtime import Runtime

log = logging.getLogger("emulator.retention")

# Pruning runs at least this often (real seconds), since rows age even when none arrive.
PRUNE_INTERVAL = 60.0
# Count pruning runs after this many new sends or requests, so the tables overshoot their
# bound by at most a tenth (capped), and a burst of sends is not slowed by a prune each.
PRUNE_EVERY_MAX = 100
_NEW_ROWS = frozenset({SEND, REQUEST})

# Put on the pruner's own subscription only, never published to others.
CLOCK_MOVED = Event(CLOCK)


def _offer(subscription: Subscription, event: Event) -> None:
    with contextlib.suppress(asyncio.QueueFull):  # a full queue means a prune is near anyway
        subscription.queue.put_nowait(event)


def _drain(subscription: Subscription) -> list[Event]:
    taken = []
    while not subscription.queue.empty():
        taken.append(subscription.queue.get_nowait())
    return taken


def clear_sends(connection: Connection, api_user: str | None = None) -> int:
    """Every send and its deliveries, or only those of one API user."""
    if api_user is None:
        connection.execute(delete(deliveries))
        return int(connection.execute(delete(sends)).rowcount)
    # Through the api_user index and the deliveries' send_id index: no scan of other users'.
    victims = select(sends.c.id).where(sends.c.api_user == api_user)
    connection.execute(delete(deliveries).where(deliveries.c.send_id.in_(victims)))
    return int(connection.execute(delete(sends).where(sends.c.api_user == api_user)).rowcount)


def clear_journal(connection: Connection, api_user: str | None = None) -> int:
    """Every journal row, or only those naming one API user."""
    query = delete(journal)
    if api_user is not None:
        query = query.where(journal.c.api_user == api_user)
    return int(connection.execute(query).rowcount)


def purge_api_user(connection: Connection, api_user: str) -> dict[str, int]:
    """Everything one API user left: its sends (with deliveries) and its journal rows."""
    return {
        "sends": clear_sends(connection, api_user),
        "requests": clear_journal(connection, api_user),
    }


def clear_all(connection: Connection) -> None:
    """Every send, delivery and journal row. Plain statements: this runs in the reset before
    every test, where building SQLAlchemy's was most of the write's time (py-spy)."""
    for table in (deliveries, sends, journal):
        # Names from our own table metadata, never from input.
        connection.exec_driver_sql(f"DELETE FROM {table.name}")  # noqa: S608


@dataclass(frozen=True)
class Pruned:
    sends: int = 0
    deliveries: int = 0
    requests: int = 0

    @property
    def total(self) -> int:
        return self.sends + self.deliveries + self.requests


def _prune_sends(
    connection: Connection, floor: int | None, cutoff: datetime | None
) -> tuple[int, int]:
    conditions: list[ColumnElement[bool]] = []
    if floor is not None:
        conditions.append(sends.c.id < floor)
    if cutoff is not None:
        conditions.append(sends.c.received_at < cutoff)
    if not conditions:
        return 0, 0
    victims = select(sends.c.id).where(or_(*conditions))
    removed_deliveries = connection.execute(
        delete(deliveries).where(deliveries.c.send_id.in_(victims))
    ).rowcount
    removed_sends = connection.execute(delete(sends).where(or_(*conditions))).rowcount
    return int(removed_sends), int(removed_deliveries)


def _floor(connection: Connection, id_column: Any, keep: int | None) -> int | None:
    """The id of the oldest row kept when keeping the newest `keep`; None keeps everything."""
    if keep is None:
        return None
    found = connection.execute(
        select(id_column).order_by(id_column.desc()).offset(keep - 1).limit(1)
    ).scalar()
    return int(found) if found is not None else None


def prune(
    connection: Connection, now: datetime, max_sends: int | None, max_age: int | None
) -> Pruned:
    """Keep the newest `max_sends` sends (and as many journal rows) and nothing older than
    `max_age` seconds, as the emulator's clock reads `now`; deliveries go with their send."""
    cutoff = now - timedelta(seconds=max_age) if max_age is not None else None
    removed_sends, removed_deliveries = _prune_sends(
        connection, _floor(connection, sends.c.id, max_sends), cutoff
    )
    conditions: list[ColumnElement[bool]] = []
    journal_floor = _floor(connection, journal.c.id, max_sends)
    if journal_floor is not None:
        conditions.append(journal.c.id < journal_floor)
    if cutoff is not None:
        conditions.append(journal.c.received_at < cutoff)
    removed_requests = 0
    if conditions:
        removed_requests = int(connection.execute(delete(journal).where(or_(*conditions))).rowcount)
    return Pruned(removed_sends, removed_deliveries, removed_requests)


class Pruner:
    """Prunes through the writer after new rows arrive, at a bounded cadence, and when the
    emulator's clock moves (so a test can age data by moving the clock instead of waiting)."""

    def __init__(self, runtime: "Runtime", interval: float = PRUNE_INTERVAL) -> None:
        self.runtime = runtime
        self.interval = interval
        settings = runtime.settings
        self.enabled = settings.max_sends is not None or settings.max_age is not None
        bound = settings.max_sends or PRUNE_EVERY_MAX * 10
        self.every = max(1, min(PRUNE_EVERY_MAX, bound // 10))

    async def prune_now(self) -> Pruned:
        settings = self.runtime.settings
        now = self.runtime.clock.now()
        pruned = await self.runtime.writer.run(
            lambda c: prune(c, now, settings.max_sends, settings.max_age)
        )
        if pruned.total:
            log.info("pruned %s", pruned)
            self.runtime.events.publish(
                PRUNE,
                sends=pruned.sends,
                deliveries=pruned.deliveries,
                requests=pruned.requests,
            )
        return pruned

    async def run(self) -> None:
        if not self.enabled:
            return
        loop = asyncio.get_running_loop()
        async with self.runtime.events.subscribe() as subscription:

            def moved() -> None:
                # The clock may be moved from any thread, and after this loop has closed.
                with contextlib.suppress(RuntimeError):
                    loop.call_soon_threadsafe(_offer, subscription, CLOCK_MOVED)

            self.runtime.clock.on_change(moved)
            new_rows = 0
            due = 0.0  # real (monotonic) time of the next age prune; the first is at once
            while True:
                first = await subscription.next(max(0.0, due - time.monotonic()))
                # Under load many events wait at once; taking them together costs one wake.
                batch = [first, *_drain(subscription)]
                if any(e is not None and e.kind == SHUTDOWN for e in batch):
                    return
                new_rows += sum(1 for e in batch if e is not None and e.kind in _NEW_ROWS)
                # A prune is due after enough new rows, every interval of real time (rows age
                # even when nothing arrives), and when the clock jumps.
                if new_rows >= self.every or time.monotonic() >= due or CLOCK_MOVED in batch:
                    await self._prune_logged()
                    new_rows = 0
                    due = time.monotonic() + self.interval

    async def _prune_logged(self) -> None:
        try:
            await self.prune_now()
        except Exception:
            # Pruning is housekeeping: a failure is logged and retried at the next trigger.
            log.exception("pruning failed")


@contextlib.asynccontextmanager
async def pruning(runtime: "Runtime") -> AsyncIterator[Pruner]:
    """Run the pruner beside the app for the lifespan of a server."""
    pruner = Pruner(runtime)
    task = asyncio.create_task(pruner.run(), name="emulator-pruner")
    try:
        yield pruner
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
