"""The dispatcher's SQL: which sends are due, a send's fan-out job, and its status moves."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Connection, Engine, case, func, select, update

from emulator.storage.deliveries import (
    DELIVERY_COLUMNS,
    DeliveryRow,
    insert_deliveries,
    pending_deliveries,
    shown_items,
)
from emulator.storage.rows import read_rows, read_time, sql_datetime, to_sql
from emulator.storage.sends import key_condition, send_item
from emulator.storage.tables import (
    COMPLETED,
    DELIVERED,
    QUEUED,
    SCHEDULED,
    SENDING,
    SENT,
    deliveries,
    sends,
)

_TOKEN = DELIVERY_COLUMNS.index("token")
_STATUS = DELIVERY_COLUMNS.index("status")
_APPLICATION = DELIVERY_COLUMNS.index("application_id")
# Sends a batch may take: nothing of their fan-out is written yet.
_FRESH = (QUEUED, SCHEDULED)
# A send's final state once its deliveries are in (bench/rowcost.py times this statement).
FINISH_SQL = (
    "UPDATE send SET status = ?, updated_at = ?, completed_at = ?, fanned_out_at = ?, "
    "delivery_count = ?, warnings = ? WHERE id = ?"
)


@dataclass
class Job:
    """The columns of a stored send that its fan-out reads."""

    id: int
    transaction_id: str  # ids can be reused after a reset; this cannot
    tracking_id: str
    status: str
    application_ids: list[str]
    segment_id: str | None
    table_id: str | None
    use_only_engaged: bool
    content: dict[str, Any]
    warnings: list[str]
    kind: str
    api_user: str
    # SendTransactionalPush: the devices chosen at acceptance, the $Current values, the
    # language override.
    targets: list[dict[str, Any]] | None
    current: dict[str, Any] | None
    language: str | None


def _is_current(job: Job) -> ColumnElement[bool]:
    current: ColumnElement[bool] = (sends.c.id == job.id) & (
        sends.c.transaction_id == job.transaction_id
    )
    return current


_NEXT_SCHEDULED_SQL = "SELECT MIN(schedule_at) FROM send WHERE status = ?"
_DUE_SQL = (
    "SELECT id, transaction_id FROM send WHERE status = ? "
    "OR (status = ? AND fanned_out_at IS NULL) OR (status = ? AND schedule_at <= ?) ORDER BY id"
)


def next_scheduled_at(engine: Engine) -> datetime | None:
    return read_time(read_rows(engine, _NEXT_SCHEDULED_SQL, (SCHEDULED,))[0][0])


def due_sends(engine: Engine, now: datetime) -> list[tuple[int, str]]:
    """(id, transaction id) of sends to fan out now: queued, half-done by a crash, or
    scheduled and due; oldest first. A send fanned out whose deliveries wait for their time
    is Sending too, but has nothing left to fan out."""
    rows = read_rows(engine, _DUE_SQL, (QUEUED, SENDING, SCHEDULED, sql_datetime(now)))
    return [(int(send_id), str(transaction_id)) for send_id, transaction_id in rows]


def load_job(engine: Engine, send_id: int) -> Job | None:
    found = load_jobs(engine, [send_id])
    return found[0] if found else None


def load_jobs(engine: Engine, send_ids: Sequence[int]) -> list[Job]:
    """The jobs of these sends that still exist, oldest first: one query for a batch.

    Plain SQL and orjson: SQLAlchemy's row and JSON processing was the dispatcher's largest
    cost per small send after rendering (py-spy), paid under the GIL the requests need."""
    if not send_ids:
        return []
    ids = [int(i) for i in send_ids]  # bound as values, never spliced in
    marks = ",".join("?" * len(ids))
    rows = read_rows(engine, f"{_JOB_SELECT} WHERE id IN ({marks}) ORDER BY id", ids)
    return [_job(row) for row in rows]


_JOB_FIELDS = [f.name for f in fields(Job)]
# Names from our own dataclass and table, never from input.
_JOB_SELECT = f"SELECT {', '.join(_JOB_FIELDS)} FROM {sends.name}"  # noqa: S608
_JSON_FIELDS = frozenset({"application_ids", "content", "warnings", "targets", "current"})


def _job(row: Sequence[Any]) -> Job:
    values = {
        name: (orjson.loads(value) if name in _JSON_FIELDS and value is not None else value)
        for name, value in zip(_JOB_FIELDS, row, strict=True)
    }
    values["use_only_engaged"] = bool(values["use_only_engaged"])
    return Job(**values)


def move_status(job: Job, status: str, now: datetime) -> Callable[[Connection], int]:
    """A write moving the send on from the status the job knows; 0 rows if someone else
    did first (a reset may have removed it)."""
    old = job.status

    def write(connection: Connection) -> int:
        result = connection.execute(
            update(sends)
            .where(_is_current(job) & (sends.c.status == old))
            .values(status=status, updated_at=now)
        )
        return int(result.rowcount)

    return write


def insert_chunk(
    job: Job, rows: Sequence[DeliveryRow], watched: frozenset[str]
) -> Callable[[Connection], list[dict[str, Any]] | None]:
    """A write inserting a chunk unless its send was removed (reset, pruned) since the
    fan-out began (None then). It answers the pushes shown at once to the `watched` tokens
    (those with a device feed open), for their feeds."""

    def write(connection: Connection) -> list[dict[str, Any]] | None:
        still_sending = connection.execute(
            select(sends.c.id).where(_is_current(job) & (sends.c.status == SENDING))
        ).first()
        if still_sending is None:
            return None
        insert_deliveries(connection, rows)
        return _shown(connection, job, rows, watched)

    return write


def finish(job: Job, warnings: list[str], now: datetime) -> Callable[[Connection], str | None]:
    """A write closing a send's fan-out with its delivery count and final warnings: it is
    Completed, or stays Sending while deliveries wait for their time. Its status after, or
    None when the send is gone."""

    def write(connection: Connection) -> str | None:
        count = (
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.send_id == job.id)
            .scalar_subquery()
        )
        waiting = pending_deliveries(sends.c.id)
        result = connection.execute(
            update(sends)
            .where(_is_current(job) & (sends.c.status == SENDING))
            .values(
                status=case((waiting, SENDING), else_=COMPLETED),
                updated_at=now,
                completed_at=case((waiting, None), else_=now),
                fanned_out_at=now,
                delivery_count=count,
                warnings=warnings,
            )
            .returning(sends.c.status)
        ).first()
        return None if result is None else str(result.status)

    return write


# What a batch write answers per send: its status after and the pushes shown to watched
# tokens, or None when the send was gone (reset, pruned) or moved on by someone else.
BatchResult = tuple[str, list[dict[str, Any]]] | None


def fan_out_batch(
    items: Sequence[tuple[Job, Sequence[DeliveryRow], list[str]]],
    watched: frozenset[str],
    now: datetime,
) -> Callable[[Connection], list[BatchResult]]:
    """One write fanning out many fresh (Queued or Scheduled) sends whole, each with its
    rendered deliveries and final warnings: its rows, then Completed (or Sending while
    deliveries wait for their time), all in the one transaction. A crash before its commit
    leaves every send as it was, so the next start does each once.

    Plain SQL, and a statement per batch rather than per send: this runs on the event loop, and
    building SQLAlchemy statements per send cost the requests beside it more than the writes
    (py-spy, docs/PERFORMANCE.md)."""

    def write(connection: Connection) -> list[BatchResult]:
        ids = [job.id for job, _rows, _warnings in items]
        found = select(sends.c.id, sends.c.transaction_id, sends.c.status).where(
            sends.c.id.in_(ids)
        )
        stored = {
            int(row.id): (str(row.transaction_id), str(row.status))
            for row in connection.execute(found)
        }
        # Still as loaded: not reset, pruned, or moved on meanwhile.
        claimed = [
            item
            for item in items
            if item[0].status in _FRESH
            and stored.get(item[0].id) == (item[0].transaction_id, item[0].status)
        ]
        if not claimed:
            return [None] * len(items)
        insert_deliveries(connection, [row for _job, rows, _w in claimed for row in rows])
        stamp = sql_datetime(now)
        finals = []
        for job, rows, warnings in claimed:
            waiting = any(row[_STATUS] == SENT for row in rows)
            # A fresh send has no other deliveries; OR IGNORE drops a repeated device.
            count = len({(row[_APPLICATION], row[_TOKEN]) for row in rows})
            status = SENDING if waiting else COMPLETED
            completed = None if waiting else stamp
            finals.append((status, stamp, completed, stamp, count, to_sql(warnings), job.id))
        connection.exec_driver_sql(FINISH_SQL, finals)
        answers: dict[int, BatchResult] = {}
        for (job, rows, _warnings), final in zip(claimed, finals, strict=True):
            answers[job.id] = (str(final[0]), _shown(connection, job, rows, watched))
        return [answers.get(job.id) for job, _rows, _warnings in items]

    return write


def _shown(
    connection: Connection, job: Job, rows: Sequence[DeliveryRow], watched: frozenset[str]
) -> list[dict[str, Any]]:
    """The pushes just shown to tokens with a device feed open (usually none)."""
    if not watched:
        return []
    tokens = {row[_TOKEN] for row in rows if row[_TOKEN] in watched and row[_STATUS] == DELIVERED}
    if not tokens:
        return []
    shown = select(deliveries.c.id).where(
        (deliveries.c.send_id == job.id)
        & deliveries.c.token.in_(tokens)
        & (deliveries.c.status == DELIVERED)
    )
    return shown_items(connection, [int(i) for i in connection.execute(shown).scalars()])


def dispatch_now(connection: Connection, key: str, now: datetime) -> dict[str, Any] | None:
    """Move a Scheduled send's schedule to `now`, so the dispatcher fans it out at once.

    None when no send has this key; the send's item unchanged when it is not Scheduled
    (the caller says why)."""
    row = connection.execute(select(sends).where(key_condition(key))).mappings().first()
    if row is None:
        return None
    if row["status"] == SCHEDULED:
        connection.execute(
            update(sends)
            .where((sends.c.id == row["id"]) & (sends.c.status == SCHEDULED))
            .values(schedule_at=now, updated_at=now)
        )
    return send_item(row)
