"""The settle pass's SQL: delayed deliveries made final, planned opens done, sends completed."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select, update

from emulator.storage.deliveries import PENDING, pending_deliveries, shown_items
from emulator.storage.rows import read_rows, read_time
from emulator.storage.tables import (
    COMPLETED,
    DELIVERED,
    FAILED,
    SENDING,
    SENT,
    deliveries,
    sends,
)

_OPEN_DUE = deliveries.c.open_due_at.is_not(None)


# Both served by a partial index: a literal status (not a bound one) is what lets SQLite use
# ix_delivery_due, as PENDING does.
_NEXT_DUE_SQL = (
    f"SELECT (SELECT MIN(final_at) FROM delivery WHERE status = '{SENT}'), "  # noqa: S608
    "(SELECT MIN(open_due_at) FROM delivery WHERE open_due_at IS NOT NULL)"
)
_WAITING_SQL = "SELECT 1 FROM send WHERE status = ? AND fanned_out_at IS NOT NULL LIMIT 1"


def next_due(engine: Engine) -> datetime | None:
    """When the next delayed delivery becomes final or the next planned open happens."""
    final, opens = read_rows(engine, _NEXT_DUE_SQL)[0]
    due = [t for t in (read_time(final), read_time(opens)) if t is not None]
    return min(due) if due else None


def api_users(engine: Engine, send_ids: list[int]) -> dict[int, str]:
    """Send id -> the API user that sent it, for events scoped to one user."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(sends.c.id, sends.c.api_user).where(sends.c.id.in_(send_ids))
        )
        return {int(row.id): str(row.api_user) for row in rows}


def any_waiting_send(engine: Engine) -> bool:
    """A send is fanned out and still Sending: it waits for its deliveries."""
    return bool(read_rows(engine, _WAITING_SQL, (SENDING,)))


@dataclass(frozen=True)
class Finalised:
    """Deliveries made final in one step, and the pushes that showed on watched devices."""

    rows: list[Any]  # (id, send_id, token, application_id, outcome, status)
    shown: list[dict[str, Any]]


def finalise_due(
    now: datetime, limit: int, watched: frozenset[str]
) -> Callable[[Connection], Finalised]:
    """A write making up to `limit` due deliveries final (Delivered or Failed, as their
    outcome says), oldest due first."""

    def write(connection: Connection) -> Finalised:
        due = (
            select(deliveries.c.id)
            .where(PENDING & (deliveries.c.final_at <= now))
            .order_by(deliveries.c.final_at, deliveries.c.id)
            .limit(limit)
        )
        rows = connection.execute(
            update(deliveries)
            .where(deliveries.c.id.in_(due))
            .values(status=case((deliveries.c.outcome == "delivered", DELIVERED), else_=FAILED))
            .returning(
                deliveries.c.id,
                deliveries.c.send_id,
                deliveries.c.token,
                deliveries.c.application_id,
                deliveries.c.outcome,
                deliveries.c.status,
            )
        ).all()
        ids = [int(r.id) for r in rows if r.token in watched and r.status == DELIVERED]
        return Finalised(list(rows), shown_items(connection, ids))

    return write


def open_due(now: datetime, limit: int) -> Callable[[Connection], list[Any]]:
    """A write doing up to `limit` planned opens (and clicks) that are due; (send_id,
    clicked) of each, as the row is after."""

    def write(connection: Connection) -> list[Any]:
        due = (
            select(deliveries.c.id)
            .where(_OPEN_DUE & (deliveries.c.open_due_at <= now))
            .order_by(deliveries.c.open_due_at, deliveries.c.id)
            .limit(limit)
        )
        # The first open or click is the one kept, as with the manual open and click.
        clicked = deliveries.c.click_due_at.is_not(None)
        return list(
            connection.execute(
                update(deliveries)
                .where(deliveries.c.id.in_(due))
                .values(
                    opened_at=func.coalesce(deliveries.c.opened_at, deliveries.c.open_due_at),
                    clicked_at=case(
                        (
                            clicked,
                            func.coalesce(deliveries.c.clicked_at, deliveries.c.click_due_at),
                        ),
                        else_=deliveries.c.clicked_at,
                    ),
                    open_due_at=None,
                    click_due_at=None,
                )
                .returning(
                    deliveries.c.send_id, deliveries.c.clicked_at.is_not(None).label("clicked")
                )
            ).all()
        )

    return write


def complete_settled(now: datetime) -> Callable[[Connection], list[Any]]:
    """A write completing every fanned-out send none of whose deliveries waits any more;
    (id, tracking_id, kind, api_user, title, message) of each, the last two what its first
    device was shown (as the send.status event of a send completed at fan-out says)."""

    def write(connection: Connection) -> list[Any]:
        completed = connection.execute(
            update(sends)
            .where(
                (sends.c.status == SENDING)
                & sends.c.fanned_out_at.is_not(None)
                & ~pending_deliveries(sends.c.id)
            )
            .values(status=COMPLETED, updated_at=now, completed_at=now)
            .returning(sends.c.id)
        ).scalars()
        ids = [int(i) for i in completed]
        if not ids:
            return []
        first = (
            select(func.min(deliveries.c.id))
            .where(deliveries.c.send_id == sends.c.id)
            .correlate(sends)
            .scalar_subquery()
        )
        shown = deliveries.alias("shown")
        query = (
            select(
                sends.c.id,
                sends.c.tracking_id,
                sends.c.kind,
                sends.c.api_user,
                shown.c.title,
                shown.c.message,
            )
            .select_from(sends)
            .outerjoin(shown, shown.c.id == first)
            .where(sends.c.id.in_(ids))
            .order_by(sends.c.id)
        )
        return list(connection.execute(query).all())

    return write
