"""Settling: delayed deliveries become final when the emulator's clock reaches them, planned
opens happen, and a send is Completed once none of its deliveries waits."""

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from emulator.clock import Clock
from emulator.events import DELIVERIES, SEND_STATUS, EventBus
from emulator.fanout.outcomes import CLEANED
from emulator.storage import settle
from emulator.storage.tables import COMPLETED
from emulator.storage.writer import Writer

# Rows per write: one UPDATE of this many rows keeps the event loop (where the writer runs
# statements) free for requests in between, like the fan-out's chunks.
STEP = 1000

# What the runtime does with devices whose delivery came back unregistered or invalid:
# (lower-case application id, token) pairs.
Unregister = Callable[[set[tuple[str, str]]], None]


class StatusOf(Protocol):
    """What a send.status event names of a send: a dispatcher's job or a completed row."""

    @property
    def id(self) -> int: ...
    @property
    def tracking_id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def api_user(self) -> str: ...


def publish_status(events: EventBus, send: StatusOf, status: str, **shown: str | None) -> None:
    """A send.status event; `shown` is the title and message its first device was shown."""
    events.publish(
        SEND_STATUS,
        id=send.id,
        trackingId=send.tracking_id,
        status=status,
        sendKind=send.kind,
        apiUser=send.api_user,
        **shown,
    )


class Settler:
    """Run by the dispatcher's thread after each pass, and whenever the clock moves."""

    def __init__(
        self, engine: Engine, writer: Writer, clock: Clock, events: EventBus, unregister: Unregister
    ) -> None:
        self._engine = engine
        self._writer = writer
        self._clock = clock
        self._events = events
        self._unregister = unregister

    def settle_due(self) -> datetime | None:
        """Settle what is due; when the next thing will be (None: nothing waits).

        Reads first and writes only when something is due: the dispatcher runs a pass after
        every accepted send, and a write that changes nothing would still queue at the writer
        beside the sends."""
        now = self._clock.now()
        due = settle.next_due(self._engine)
        if due is not None and due <= now:
            self._settle(now)
            due = settle.next_due(self._engine)
        if settle.any_waiting_send(self._engine):
            # Not only after finals: a send whose last delivery became final just before a
            # restart is completed by the next start's first pass.
            for send in self._writer.run_sync(settle.complete_settled(now)):
                publish_status(
                    self._events, send, COMPLETED, title=send.title, message=send.message
                )
        return due

    def _settle(self, now: datetime) -> None:
        final: Counter[int] = Counter()
        cleaned: set[tuple[str, str]] = set()
        while True:
            step = self._writer.run_sync(
                settle.finalise_due(now, STEP, self._events.watched_devices())
            )
            for row in step.rows:
                final[row.send_id] += 1
                if row.outcome in CLEANED:
                    cleaned.add((row.application_id, row.token))
            for item in step.shown:
                self._events.publish_push(item["token"], item)
            if len(step.rows) < STEP:
                break
        opened: Counter[int] = Counter()
        while True:
            rows = self._writer.run_sync(settle.open_due(now, STEP))
            opened.update(row.send_id for row in rows)
            if len(rows) < STEP:
                break
        if cleaned:
            self._unregister(cleaned)
        touched = sorted(set(final) | set(opened))
        users = settle.api_users(self._engine, touched) if touched else {}
        for send_id in touched:
            self._events.publish(
                DELIVERIES,
                sendId=send_id,
                final=final[send_id],
                opened=opened[send_id],
                apiUser=users.get(send_id),
            )
