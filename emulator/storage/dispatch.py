"""The dispatcher's SQL: which sends are due, a send's fan-out job, and its status moves."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, func, or_, select, update

from emulator.storage.deliveries import DeliveryRow, insert_deliveries
from emulator.storage.tables import COMPLETED, QUEUED, SCHEDULED, SENDING, deliveries, sends


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


_JOB_COLUMNS = [sends.c[f.name] for f in fields(Job)]


def _is_current(job: Job) -> ColumnElement[bool]:
    current: ColumnElement[bool] = (sends.c.id == job.id) & (
        sends.c.transaction_id == job.transaction_id
    )
    return current


def next_scheduled_at(engine: Engine) -> datetime | None:
    with engine.connect() as connection:
        found: datetime | None = connection.execute(
            select(func.min(sends.c.schedule_at)).where(sends.c.status == SCHEDULED)
        ).scalar()
    return found


def due_sends(engine: Engine, now: datetime) -> list[tuple[int, str]]:
    """(id, transaction id) of sends to fan out now: queued, half-done by a crash, or
    scheduled and due; oldest first."""
    query = (
        select(sends.c.id, sends.c.transaction_id)
        .where(
            or_(
                sends.c.status.in_([QUEUED, SENDING]),
                (sends.c.status == SCHEDULED) & (sends.c.schedule_at <= now),
            )
        )
        .order_by(sends.c.id)
    )
    with engine.connect() as connection:
        return [(int(row.id), str(row.transaction_id)) for row in connection.execute(query)]


def load_job(engine: Engine, send_id: int) -> Job | None:
    # Core, not the ORM: this runs for every send, beside the requests, under one GIL.
    with engine.connect() as connection:
        row = connection.execute(select(*_JOB_COLUMNS).where(sends.c.id == send_id)).first()
    return None if row is None else Job(**row._mapping)


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


def insert_chunk(job: Job, rows: Sequence[DeliveryRow]) -> Callable[[Connection], bool]:
    """A write inserting a chunk unless its send was removed (reset, pruned) since the
    fan-out began; False then."""

    def write(connection: Connection) -> bool:
        still_sending = connection.execute(
            select(sends.c.id).where(_is_current(job) & (sends.c.status == SENDING))
        ).first()
        if still_sending is None:
            return False
        insert_deliveries(connection, rows)
        return True

    return write


def complete(job: Job, warnings: list[str], now: datetime) -> Callable[[Connection], int]:
    """A write completing a Sending send with its delivery count and final warnings."""

    def write(connection: Connection) -> int:
        count = (
            select(func.count())
            .select_from(deliveries)
            .where(deliveries.c.send_id == job.id)
            .scalar_subquery()
        )
        result = connection.execute(
            update(sends)
            .where(_is_current(job) & (sends.c.status == SENDING))
            .values(
                status=COMPLETED,
                updated_at=now,
                completed_at=now,
                delivery_count=count,
                warnings=warnings,
            )
        )
        return int(result.rowcount)

    return write
