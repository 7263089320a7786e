"""Sends and their deliveries: filters, pages, detail, counts for waits, and the export."""

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    RowMapping,
    and_,
    exists,
    func,
    literal_column,
    or_,
    select,
)

from emulator.errors import BadRequest
from emulator.fanout.outcomes import OUTCOME_NAMES
from emulator.filters import SEND_FILTERS, FilterKind
from emulator.storage.paging import Page, iso, newest_first, page_of, parse_time
from emulator.storage.tables import (
    COMPLETED,
    INSTANT,
    QUEUED,
    SCHEDULED,
    SENDING,
    SENT,
    TRANSACTIONAL,
    deliveries,
    sends,
)

SEND_STATUSES = (QUEUED, SCHEDULED, SENDING, COMPLETED)
SEND_KINDS = (INSTANT, TRANSACTIONAL)


def canonical_status(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    for status in SEND_STATUSES:
        if status.lower() == value.lower():
            return status
    raise BadRequest([f"status: must be one of {', '.join(SEND_STATUSES)}, got {value!r}"])


def _search_text(value: str) -> str:
    # SQLite's LIKE stops reading a pattern at NUL, which would make it match everything.
    if "\x00" in value:
        raise BadRequest(["q: must not contain the NUL character"])
    return value


def _send_kind(value: str) -> str:
    kind = value.lower()
    if kind not in SEND_KINDS:
        raise BadRequest([f"kind: must be one of {', '.join(SEND_KINDS)}, got {value!r}"])
    return kind


def _outcome(value: str) -> str:
    for name in OUTCOME_NAMES:
        if name.lower() == value.lower():
            return name
    raise BadRequest([f"outcome: must be one of {', '.join(OUTCOME_NAMES)}, got {value!r}"])


def _parse(kind: FilterKind, name: str, value: str) -> Any:
    if kind == "outcome":
        return _outcome(value)
    if kind == "id":
        return value.lower()
    if kind == "send_kind":
        return _send_kind(value)
    if kind == "status":
        return canonical_status(value)
    if kind == "time":
        return parse_time(name, value)
    if kind == "search":
        return _search_text(value)
    return value


@dataclass(frozen=True)
class SendFilters:
    """Parsed sends filters, keyed by their query parameter (filters.SEND_FILTERS)."""

    values: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "SendFilters":
        """From the API's query parameters, validating each; other parameters are ignored."""
        values = {
            f.param: _parse(f.kind, f.param, query[f.param])
            for f in SEND_FILTERS
            if query.get(f.param)
        }
        return cls(values)

    @property
    def status(self) -> str | None:
        return self.values.get("status")

    def with_status(self, status: str) -> "SendFilters":
        return SendFilters({**self.values, "status": status})


def _json_contains(json_column: Any, value: str) -> ColumnElement[bool]:
    """`value` is an element of a JSON array column."""
    items = func.json_each(json_column).table_valued("value")
    return exists(select(literal_column("1")).select_from(items).where(items.c.value == value))


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text_matches(q: str) -> ColumnElement[bool]:
    """`q` in a title or message: the send's own content (any language) or what a device got."""
    pattern = _like(q)

    def like(expression: Any) -> ColumnElement[bool]:
        result: ColumnElement[bool] = expression.like(pattern, escape="\\")
        return result

    contents = func.json_each(sends.c.content, "$.multiLangContent.contents").table_valued("value")
    in_languages = exists(
        select(literal_column("1"))
        .select_from(contents)
        .where(
            or_(
                like(func.json_extract(contents.c.value, "$.title")),
                like(func.json_extract(contents.c.value, "$.message")),
            )
        )
    )
    in_deliveries = exists(
        select(deliveries.c.id).where(
            deliveries.c.send_id == sends.c.id,
            or_(like(deliveries.c.title), like(deliveries.c.message)),
        )
    )
    return or_(
        like(func.json_extract(sends.c.content, "$.content.title")),
        like(func.json_extract(sends.c.content, "$.content.message")),
        in_languages,
        in_deliveries,
    )


def _has_delivery(condition: ColumnElement[bool]) -> ColumnElement[bool]:
    # Recipients are only known through deliveries, so these filters join them.
    return exists(select(deliveries.c.id).where(deliveries.c.send_id == sends.c.id, condition))


# How each declared filter narrows the sends; the keys are filters.SEND_FILTERS' parameters.
_CONDITIONS: dict[str, Callable[[Any], ColumnElement[bool]]] = {
    "kind": lambda v: sends.c.kind == v,
    "trackingId": lambda v: sends.c.tracking_id == v,
    "applicationId": lambda v: _json_contains(sends.c.application_ids, v),
    "segmentId": lambda v: sends.c.segment_id == v,
    "tableId": lambda v: sends.c.table_id == v,
    "templateId": lambda v: _json_contains(sends.c.template_ids, v),
    "status": lambda v: sends.c.status == v,
    # A transactional send names its contact before it has deliveries.
    "contactKey": lambda v: or_(
        sends.c.contact_key == v, _has_delivery(deliveries.c.contact_key == v)
    ),
    "token": lambda v: _has_delivery(deliveries.c.token == v),
    # Only final deliveries have an outcome a reader may see.
    "outcome": lambda v: _has_delivery((deliveries.c.outcome == v) & (deliveries.c.status != SENT)),
    "apiUser": lambda v: sends.c.api_user == v,
    "tag": lambda v: _json_contains(sends.c.tags, v),
    "traceId": lambda v: sends.c.trace_id == v,
    "q": lambda v: _text_matches(v),
    "since": lambda v: sends.c.received_at >= v,
    "until": lambda v: sends.c.received_at < v,
}
assert set(_CONDITIONS) == {f.param for f in SEND_FILTERS}, "every declared filter has a query"


def send_conditions(filters: SendFilters) -> list[ColumnElement[bool]]:
    return [_CONDITIONS[name](value) for name, value in filters.values.items()]


def _request_body(text: str) -> Any:
    # Accepted sends were valid JSON; anything else is shown as the text it was.
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def notification_of(content: Mapping[str, Any]) -> dict[str, Any]:
    """The send's own text in one place: the inline content, or the default language's entry
    (`language` says which), templates copied in, personalisation tags as written (each
    delivery holds what its device was shown)."""
    single = content.get("content")
    if isinstance(single, dict):
        return {"language": None, **single}
    multi = content.get("multiLangContent")
    if not isinstance(multi, dict):
        return {"language": None}
    entries = [e for e in multi.get("contents") or [] if isinstance(e, dict)]
    default = str(multi.get("defaultLanguage") or "").lower()
    chosen = next(
        (e for e in entries if str(e.get("language") or "").lower() == default),
        entries[0] if entries else {},
    )
    return {"language": None, **chosen}


def send_item(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "kind": row["kind"],
        "trackingId": row["tracking_id"],
        "transactionId": row["transaction_id"],
        "status": row["status"],
        "receivedAt": iso(row["received_at"]),
        "updatedAt": iso(row["updated_at"]),
        "scheduleAt": iso(row["schedule_at"]),
        "completedAt": iso(row["completed_at"]),
        "apiUser": row["api_user"],
        "clientIp": row["client_ip"],
        "request": _request_body(row["request_body"]),
        "content": row["content"],
        "notification": notification_of(row["content"]),
        "applicationIds": row["application_ids"],
        "allApplications": row["all_applications"],
        "segmentId": row["segment_id"],
        "tableId": row["table_id"],
        "templateIds": row["template_ids"],
        "useOnlyEngagedTokens": row["use_only_engaged"],
        "warnings": row["warnings"],
        "response": row["response_body"],
        "deliveryCount": row["delivery_count"],
        # SendTransactionalPush's own (null or empty on an instant send):
        "contactKey": row["contact_key"],
        "traceId": row["trace_id"],
        "tags": row["tags"],
        "targets": row["targets"],
        "current": row["current"],
        "language": row["language"],
        "inboxParams": row["inbox_params"],
        "fallbackChannel": row["fallback_channel"],
        "readAt": iso(row["read_at"]),
    }


def delivery_item(row: RowMapping) -> dict[str, Any]:
    # Sent: on its way. What the provider will answer is decided, but not known yet.
    final = row["status"] != SENT
    return {
        "id": row["id"],
        "token": row["token"],
        "applicationId": row["application_id"],
        "platform": row["platform"],
        "contactKey": row["contact_key"],
        "language": row["language"],
        "deviceLanguage": row["device_language"],
        "deviceType": row["device_type"],
        "browser": row["browser"],
        "title": row["title"],
        "message": row["message"],
        "targetUrl": row["target_url"],
        "mediaUrl": row["media_url"],
        "extra": row["extra"],
        "status": row["status"],
        "outcome": row["outcome"] if final else None,
        "reason": row["reason"] if final else None,
        "createdAt": iso(row["created_at"]),
        "finalAt": iso(row["final_at"]),
        "openedAt": iso(row["opened_at"]),
        "clickedAt": iso(row["clicked_at"]),
    }


def list_sends(
    connection: Connection, filters: SendFilters, cursor: int | None = None, limit: int = 50
) -> Page:
    query = select(sends).where(and_(True, *send_conditions(filters)))
    rows = connection.execute(newest_first(query, sends.c.id, cursor, limit)).mappings().all()
    return page_of(rows, limit, send_item)


def count_sends(connection: Connection, filters: SendFilters, above: int | None = None) -> int:
    """Matching sends; with `above`, only those stored after the send with that id."""
    conditions = send_conditions(filters)
    if above is not None:
        conditions.append(sends.c.id > above)
    query = select(func.count()).select_from(sends).where(and_(True, *conditions))
    return int(connection.execute(query).scalar_one())


def key_condition(key: str) -> ColumnElement[bool]:
    """The newest send with this tracking id, or else with this transaction id (as
    send_detail finds it)."""
    key = key.lower()
    by_tracking = select(func.max(sends.c.id)).where(sends.c.tracking_id == key)
    by_transaction = select(func.max(sends.c.id)).where(sends.c.transaction_id == key)
    condition: ColumnElement[bool] = sends.c.id == func.coalesce(
        by_tracking.scalar_subquery(), by_transaction.scalar_subquery()
    )
    return condition


def send_exists(connection: Connection, key: str) -> bool:
    return connection.execute(select(sends.c.id).where(key_condition(key))).first() is not None


def recent_non_matching(
    connection: Connection, filters: SendFilters, limit: int = 3
) -> list[dict[str, Any]]:
    """The newest sends a filter does not match: what a failed wait shows as near misses."""
    conditions = send_conditions(filters)
    query = select(sends)
    if conditions:
        query = query.where(~and_(*conditions))
    else:
        return []
    rows = connection.execute(query.order_by(sends.c.id.desc()).limit(limit)).mappings().all()
    return [send_item(row) for row in rows]


def trace_answer(
    connection: Connection, api_user: str, trace_id: str, since: datetime
) -> dict[str, Any] | None:
    """The answer given to the newest transactional send of `api_user` with this traceId,
    received at or after `since`; None when there is none (a refusal stores no send)."""
    found = connection.execute(
        select(sends.c.response_body)
        .where(
            (sends.c.api_user == api_user)
            & (sends.c.trace_id == trace_id)
            & (sends.c.kind == TRANSACTIONAL)
            & (sends.c.received_at >= since)
        )
        .order_by(sends.c.id.desc())
        .limit(1)
    ).scalar()
    return dict(found) if found is not None else None


def deliveries_of(connection: Connection, send_id: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(deliveries).where(deliveries.c.send_id == send_id).order_by(deliveries.c.id)
    ).mappings()
    return [delivery_item(row) for row in rows]


# The start of a tracking id, as the inbox shows it (8 characters), or any 4 or more.
_SHORT_ID = re.compile(r"^[0-9a-f-]{4,35}$")
_MAX_NAMED = 5


def _sends_with_tracking_id(
    connection: Connection, tracking_id: str, mine: ColumnElement[bool]
) -> list[RowMapping]:
    query = (
        select(sends).where((sends.c.tracking_id == tracking_id) & mine).order_by(sends.c.id.desc())
    )
    return list(connection.execute(query).mappings().all())


def _tracking_id_starting(connection: Connection, prefix: str, mine: ColumnElement[bool]) -> str:
    """The one tracking id that starts with `prefix`; a 400 when several do ("" for none)."""
    query = (
        select(sends.c.tracking_id)
        .where(sends.c.tracking_id.like(f"{prefix}%") & mine)
        .distinct()
        .limit(_MAX_NAMED + 1)
    )
    found = sorted(connection.execute(query).scalars())
    if len(found) > 1:
        named = ", ".join(found[:_MAX_NAMED]) + (", ..." if len(found) > _MAX_NAMED else "")
        raise BadRequest(
            [f"trackingId: {prefix!r} starts more than one tracking id ({named}); give more of it"]
        )
    return found[0] if found else ""


def send_detail(
    connection: Connection, key: str, api_user: str | None = None
) -> dict[str, Any] | None:
    """The newest send with this tracking id (or this transaction id), with its deliveries;
    with `api_user`, only that API user's sends count.

    A tracking id may be reused by the caller; the other sends that carry it are listed by
    transaction id, which is unique per send and also accepted here. So is the start of a
    tracking id (4 or more characters, as the inbox shows 8) that only one tracking id has.
    """
    key = key.lower()
    mine: ColumnElement[bool] = sends.c.api_user == api_user if api_user is not None else and_(True)
    rows = _sends_with_tracking_id(connection, key, mine)
    if not rows and _SHORT_ID.match(key):
        starting = _tracking_id_starting(connection, key, mine)
        rows = _sends_with_tracking_id(connection, starting, mine)
    if not rows:
        # Transaction ids repeat only when a seeded run reuses a kept database: newest first.
        by_transaction = (
            select(sends).where((sends.c.transaction_id == key) & mine).order_by(sends.c.id.desc())
        )
        rows = list(connection.execute(by_transaction).mappings().all())
    if not rows:
        return None
    newest, others = rows[0], rows[1:]
    return {
        **send_item(newest),
        "deliveries": deliveries_of(connection, newest["id"]),
        "others": [
            {
                "transactionId": row["transaction_id"],
                "status": row["status"],
                "receivedAt": iso(row["received_at"]),
            }
            for row in others
        ],
    }


def export_sends(engine: Engine, filters: SendFilters, page_size: int = 200) -> Iterator[bytes]:
    """Every matching send with its deliveries as NDJSON, oldest first, one page per read."""
    last = 0
    while True:
        with engine.connect() as connection:
            query = (
                select(sends)
                .where(and_(sends.c.id > last, *send_conditions(filters)))
                .order_by(sends.c.id)
                .limit(page_size)
            )
            rows = connection.execute(query).mappings().all()
            # One read for the deliveries of the whole page, not one per send.
            by_send: dict[int, list[dict[str, Any]]] = {row["id"]: [] for row in rows}
            if rows:
                found = connection.execute(
                    select(deliveries)
                    .where(deliveries.c.send_id.in_(list(by_send)))
                    .order_by(deliveries.c.id)
                ).mappings()
                for delivery in found:
                    by_send[delivery["send_id"]].append(delivery_item(delivery))
            lines = [
                orjson.dumps({**send_item(row), "deliveries": by_send[row["id"]]}) + b"\n"
                for row in rows
            ]
        if not rows:
            return
        yield b"".join(lines)
        last = rows[-1]["id"]
