"""Deliveries: the fan-out's inserts, engagement (open, click), and the report's counts."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, func, select, update

from emulator.storage.rows import insert_sql
from emulator.storage.tables import COMPLETED, INSTANT, Delivery, deliveries, sends

DELIVERY_COLUMNS = (
    "send_id",
    "token",
    "application_id",
    "platform",
    "contact_key",
    "language",
    "device_type",
    "browser",
    "title",
    "message",
    "target_url",
    "media_url",
    "extra",
    "status",
    "reason",
    "created_at",
)
# OR IGNORE: a fan-out resumed after a crash rewrites what it already wrote; the unique
# (send_id, application_id, token) constraint makes the second write a no-op, not a duplicate.
INSERT_SQL = insert_sql(Delivery, DELIVERY_COLUMNS, or_ignore=True)
# One row in DELIVERY_COLUMNS order, as the fan-out renders it.
DeliveryRow = tuple[Any, ...]

_engaged = deliveries.c.opened_at.is_not(None) | deliveries.c.clicked_at.is_not(None)


def insert_deliveries(connection: Connection, rows: Sequence[DeliveryRow]) -> None:
    connection.exec_driver_sql(INSERT_SQL, list(rows))


def mark_engaged(connection: Connection, delivery_id: int, clicked: bool, now: datetime) -> Any:
    """Mark a delivery opened (or clicked, and so opened); its row after, or None."""
    # The first open or click is the one kept.
    values: dict[str, Any] = {"opened_at": func.coalesce(deliveries.c.opened_at, now)}
    if clicked:
        values["clicked_at"] = func.coalesce(deliveries.c.clicked_at, now)
    connection.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(values))
    # With the API user of its send, so the engagement event can be scoped to that user.
    return (
        connection.execute(
            select(deliveries, sends.c.api_user)
            .join(sends, sends.c.id == deliveries.c.send_id)
            .where(deliveries.c.id == delivery_id)
        )
        .mappings()
        .first()
    )


def engaged_tokens(engine: Engine, application_ids: list[str]) -> frozenset[tuple[str, str]]:
    """(application id, token) of devices that opened or clicked an earlier push."""
    query = (
        select(deliveries.c.application_id, deliveries.c.token)
        .where(_engaged & deliveries.c.application_id.in_(application_ids))
        .distinct()
    )
    with engine.connect() as connection:
        return frozenset((str(a), str(t)) for a, t in connection.execute(query))


@dataclass(frozen=True)
class ReportRows:
    """The newest send carrying a tracking id, and its deliveries to one application,
    counted by (status, reason, opened, browser, device type)."""

    send: Row[Any] | None
    groups: Sequence[Row[Any]]


def report_rows(engine: Engine, tracking_id: str, application_id: str) -> ReportRows:
    with engine.connect() as connection:
        send = connection.execute(
            select(sends.c.id, sends.c.status, sends.c.received_at)
            # The report is SendInstantPush's; a transactional push has none.
            .where((sends.c.tracking_id == tracking_id) & (sends.c.kind == INSTANT))
            .order_by(sends.c.id.desc())
            .limit(1)
        ).first()
        if send is None or send.status != COMPLETED:
            return ReportRows(send, [])  # no report until the send is completed
        groups = connection.execute(
            select(
                deliveries.c.status,
                deliveries.c.reason,
                _engaged.label("opened"),
                deliveries.c.browser,
                deliveries.c.device_type,
                func.count().label("n"),
            )
            .where(
                (deliveries.c.send_id == send.id) & (deliveries.c.application_id == application_id)
            )
            .group_by("status", "reason", "opened", "browser", "device_type")
        ).all()
    return ReportRows(send, groups)
