"""The SQLite tables: accepted sends, their deliveries, the request journal, and schema meta."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlalchemy.engine.interfaces import Dialect
from sqlmodel import Field, SQLModel
from sqlmodel.sql.sqltypes import UTCDateTime

# Bump when a table changes shape, with a step in storage/db.py's MIGRATIONS that takes a
# database of the version before to this one; a newer or unknown version stops start-up.
SCHEMA_VERSION = 4

# The two kinds of push a send can be.
INSTANT, TRANSACTIONAL = "instant", "transactional"

# Send statuses, in the order a send moves through them.
QUEUED, SCHEDULED, SENDING, COMPLETED = "Queued", "Scheduled", "Sending", "Completed"
# Delivery statuses: Sent until its time comes (a delivery delay), then final.
SENT, DELIVERED, FAILED = "Sent", "Delivered", "Failed"
# A transactional push to a token the account does not know: accepted, reaches nobody.
UNKNOWN_TOKEN = "UnknownToken"  # noqa: S105 - a delivery's reason, not a secret


class StoredTime(UTCDateTime):
    """SQLModel's UTC datetime column, except that a stored value it cannot parse (a year
    written as "1" by an older version, a hand-edited row) reads as None instead of making
    every page that shows the row a 500."""

    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        parse = super().result_processor(dialect, coltype)
        if parse is None:
            return None

        def read(value: Any) -> Any:
            try:
                return parse(value)
            except (ValueError, TypeError, OverflowError):
                return None

        return read


class Meta(SQLModel, table=True):
    key: str = Field(primary_key=True)
    value: str


class Send(SQLModel, table=True):
    """One accepted push call (SendInstantPush or SendTransactionalPush), with its request
    verbatim and the answer it got."""

    __table_args__ = (
        Index("ix_send_status_schedule", "status", "schedule_at"),
        Index("ix_send_trace", "api_user", "trace_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(default=INSTANT, index=True)
    tracking_id: str = Field(index=True)
    # Not unique: a seeded run repeats its ids, and may run again over a kept database.
    transaction_id: str = Field(index=True)
    status: str
    received_at: datetime = Field(index=True, sa_type=StoredTime)
    updated_at: datetime = Field(sa_type=StoredTime)
    # Indexed by ix_send_trace (api_user, trace_id), which also serves lookups by user alone.
    api_user: str
    client_ip: str
    request_body: str
    application_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    all_applications: bool = False
    segment_id: str | None = None
    table_id: str | None = None
    template_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    schedule_at: datetime | None = Field(default=None, sa_type=StoredTime)
    use_only_engaged: bool = False
    # The content as resolved at send time (templates copied in), so fixture edits later
    # never rewrite what was sent: {"content": {...}} or {"multiLangContent": {...}}.
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    warnings: list[str] = Field(sa_column=Column(JSON, nullable=False))
    response_body: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    delivery_count: int = 0
    completed_at: datetime | None = Field(default=None, sa_type=StoredTime)
    # Every delivery written; the send is Completed once none of them is still Sent.
    fanned_out_at: datetime | None = Field(default=None, sa_type=StoredTime)
    # SendTransactionalPush only (null or empty for instant sends):
    contact_key: str | None = Field(default=None, index=True)  # the request's contactKey
    trace_id: str | None = None  # idempotency key, per API user
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # The devices resolved at acceptance: [{"applicationId", "token", "trackingId"}].
    targets: list[dict[str, Any]] | None = Field(default=None, sa_column=Column(JSON))
    # The $Current values (current over customParameters) and the language override.
    current: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    language: str | None = None
    inbox_params: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    fallback_channel: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # When someone opened the send in the web inbox (or marked it read): its unread marker.
    read_at: datetime | None = None


class Delivery(SQLModel, table=True):
    """What one device would show for one send."""

    __table_args__ = (
        UniqueConstraint("send_id", "application_id", "token"),
        # Partial indexes: only deliveries still waiting for their time are in them, so the
        # fan-out of an undelayed send pays nothing for them.
        Index("ix_delivery_due", "final_at", sqlite_where=text("status = 'Sent'")),
        Index("ix_delivery_pending", "send_id", sqlite_where=text("status = 'Sent'")),
        Index("ix_delivery_open_due", "open_due_at", sqlite_where=text("open_due_at IS NOT NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    send_id: int = Field(foreign_key="send.id", index=True)
    token: str = Field(index=True)
    application_id: str
    platform: str
    contact_key: str | None = Field(default=None, index=True)
    language: str | None = None  # the content's entry the device got (none for single content)
    device_language: str | None = None  # the language the device has, whatever it got
    device_type: str | None = None
    browser: str | None = None
    title: str | None = None
    message: str | None = None
    target_url: str | None = None
    media_url: str | None = None
    extra: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str  # Sent, then Delivered or Failed
    # What the provider answered (fanout/outcomes.py), decided at fan-out, and its own text
    # for a failure; hidden from readers while the delivery is Sent.
    outcome: str | None = None
    reason: str | None = None
    created_at: datetime = Field(sa_type=StoredTime)
    # When it became (or, while Sent, becomes) final.
    final_at: datetime | None = Field(default=None, sa_type=StoredTime)
    opened_at: datetime | None = Field(default=None, sa_type=StoredTime)
    clicked_at: datetime | None = Field(default=None, sa_type=StoredTime)
    # An open (and a click, at the same moment) the engagement rates planned for later.
    open_due_at: datetime | None = Field(default=None, sa_type=StoredTime)
    click_due_at: datetime | None = Field(default=None, sa_type=StoredTime)


class JournalEntry(SQLModel, table=True):
    """One request under /rest, accepted or refused, with secrets masked."""

    __tablename__ = "journal"

    id: int | None = Field(default=None, primary_key=True)
    received_at: datetime = Field(index=True, sa_type=StoredTime)
    method: str
    path: str
    query: str
    status: int = Field(index=True)
    api_user: str | None = Field(default=None, index=True)  # purging one user's rows
    client_ip: str
    latency_ms: float
    headers: dict[str, str] = Field(sa_column=Column(JSON, nullable=False))
    body: str
    body_truncated: bool = False
    error: str | None = None
    tracking_id: str | None = None
    fault: str | None = None
    # A SendTransactionalPush repeated with a traceId already answered: the first answer's
    # transactionId, given again; no second send was stored.
    repeat_of: str | None = None


# The tables as SQLAlchemy Core sees them: every query in storage/ is written against these.
sends = Send.__table__  # type: ignore[attr-defined]
deliveries = Delivery.__table__  # type: ignore[attr-defined]
journal = JournalEntry.__table__  # type: ignore[attr-defined]
