"""Deliveries: the fan-out's inserts, engagement (open, click), what a device was shown, and
the report's counts."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Row,
    RowMapping,
    exists,
    func,
    literal_column,
    select,
    update,
)

from emulator.storage.paging import Page, iso, newest_first, page_of
from emulator.storage.rows import insert_sql
from emulator.storage.tables import (
    COMPLETED,
    DELIVERED,
    INSTANT,
    SENT,
    Delivery,
    deliveries,
    sends,
)

DELIVERY_COLUMNS = (
    "send_id",
    "token",
    "application_id",
    "platform",
    "contact_key",
    "language",
    "device_language",
    "device_type",
    "browser",
    "title",
    "message",
    "target_url",
    "media_url",
    "extra",
    # The plan (fanout/plan.PlanColumns):
    "status",
    "outcome",
    "reason",
    "final_at",
    "opened_at",
    "clicked_at",
    "open_due_at",
    "click_due_at",
    "created_at",
)
# OR IGNORE: a fan-out resumed after a crash rewrites what it already wrote; the unique
# (send_id, application_id, token) constraint makes the second write a no-op, not a duplicate.
INSERT_SQL = insert_sql(Delivery, DELIVERY_COLUMNS, or_ignore=True)
# One row in DELIVERY_COLUMNS order, as the fan-out renders it.
DeliveryRow = tuple[Any, ...]

_engaged = deliveries.c.opened_at.is_not(None) | deliveries.c.clicked_at.is_not(None)
# A delivery still waiting for its time. Spelled as a literal, not a bound parameter, so
# SQLite can use the partial indexes (`WHERE status = 'Sent'`) that hold only such rows.
PENDING: ColumnElement[bool] = deliveries.c.status == literal_column(f"'{SENT}'")


def pending_deliveries(send_id: Any) -> ColumnElement[bool]:
    """The send (id column or value) has a delivery that is not final yet."""
    found: ColumnElement[bool] = exists(
        select(deliveries.c.id).where((deliveries.c.send_id == send_id) & PENDING)
    )
    return found


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


def shown_item(row: RowMapping) -> dict[str, Any]:
    """A push as its device showed it: a device feed's `push` event and inbox item."""
    return {
        "deliveryId": row["id"],
        "sendId": row["send_id"],
        "trackingId": row["tracking_id"],
        "transactionId": row["transaction_id"],
        "kind": row["kind"],
        "token": row["token"],
        "applicationId": row["application_id"],
        "platform": row["platform"],
        "contactKey": row["contact_key"],
        "language": row["language"],
        "title": row["title"],
        "message": row["message"],
        "targetUrl": row["target_url"],
        "mediaUrl": row["media_url"],
        "extra": row["extra"],
        "shownAt": iso(row["final_at"]),
        "openedAt": iso(row["opened_at"]),
        "clickedAt": iso(row["clicked_at"]),
    }


def _shown() -> Any:
    return select(deliveries, sends.c.tracking_id, sends.c.transaction_id, sends.c.kind).join(
        sends, sends.c.id == deliveries.c.send_id
    )


def shown_items(connection: Connection, delivery_ids: list[int]) -> list[dict[str, Any]]:
    if not delivery_ids:
        return []
    query = _shown().where(deliveries.c.id.in_(delivery_ids)).order_by(deliveries.c.id)
    return [shown_item(row) for row in connection.execute(query).mappings()]


def device_inbox(
    connection: Connection,
    token: str,
    application_id: str | None,
    cursor: int | None = None,
    limit: int = 50,
) -> Page:
    """What the device with this token was shown (delivered pushes), newest first."""
    query = _shown().where((deliveries.c.token == token) & (deliveries.c.status == DELIVERED))
    if application_id is not None:
        query = query.where(deliveries.c.application_id == application_id)
    rows = connection.execute(newest_first(query, deliveries.c.id, cursor, limit)).mappings().all()
    return page_of(rows, limit, shown_item)


@dataclass(frozen=True)
class ReportRows:
    """The newest send carrying a tracking id, and its deliveries to one application,
    counted by (status, reason, opened, browser, device type)."""

    send: Row[Any] | None
    groups: Sequence[Row[Any]]

    @property
    def ready(self) -> bool:
        """A report exists once every delivery is written: Completed, or fanned out with
        some deliveries still on their way (the report counts the final ones)."""
        return self.send is not None and (
            self.send.status == COMPLETED or self.send.fanned_out_at is not None
        )


def report_rows(engine: Engine, tracking_id: str, application_id: str) -> ReportRows:
    with engine.connect() as connection:
        send = connection.execute(
            select(sends.c.id, sends.c.status, sends.c.received_at, sends.c.fanned_out_at)
            # The report is SendInstantPush's; a transactional push has none.
            .where((sends.c.tracking_id == tracking_id) & (sends.c.kind == INSTANT))
            .order_by(sends.c.id.desc())
            .limit(1)
        ).first()
        if send is None or not ReportRows(send, []).ready:
            return ReportRows(send, [])  # no report until the send is fanned out
        groups = connection.execute(
            select(
                deliveries.c.status,
                deliveries.c.outcome,
                deliveries.c.reason,
                _engaged.label("opened"),
                deliveries.c.browser,
                deliveries.c.device_type,
                func.count().label("n"),
            )
            .where(
                (deliveries.c.send_id == send.id)
                & (deliveries.c.application_id == application_id)
                & ~PENDING  # the report counts only what is final
            )
            .group_by("status", "outcome", "reason", "opened", "browser", "device_type")
        ).all()
    return ReportRows(send, groups)
