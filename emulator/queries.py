"""Read queries over recorded sends, deliveries and the journal, shaped for the /_emulator API."""

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    RowMapping,
    Select,
    and_,
    exists,
    func,
    literal_column,
    or_,
    select,
)

from emulator.errors import BadRequest
from emulator.models import COMPLETED, QUEUED, SCHEDULED, SENDING, Delivery, JournalEntry, Send

SEND_STATUSES = (QUEUED, SCHEDULED, SENDING, COMPLETED)
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

sends = Send.__table__  # type: ignore[attr-defined]
deliveries = Delivery.__table__  # type: ignore[attr-defined]
journal = JournalEntry.__table__  # type: ignore[attr-defined]


def parse_time(name: str, value: str | None) -> datetime | None:
    """ISO 8601; a time without a zone is UTC, like everything the emulator stores."""
    if value is None or value == "":
        return None
    if "T" in value:
        # A "+" in an unencoded query string arrives as a space: "...T10:00:00 02:00".
        value = re.sub(r" (\d\d:?\d\d)$", r"+\1", value)
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest([f"{name}: must be an ISO 8601 date-time, got {value!r}"]) from None
    try:
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except OverflowError:
        raise BadRequest([f"{name}: is out of range once in UTC: {value!r}"]) from None


def parse_limit(value: int | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not 1 <= value <= MAX_LIMIT:
        raise BadRequest([f"limit: must be between 1 and {MAX_LIMIT}, got {value}"])
    return value


def parse_cursor(value: str | None) -> int | None:
    """Cursors are opaque to callers; inside they are the id of the last item on a page."""
    if value is None or value == "":
        return None
    # SQLite ids are 64-bit: longer digit strings cannot be one of ours.
    if not value.isdigit() or len(value) > 18:
        raise BadRequest([f"cursor: not a cursor this server gave out: {value!r}"])
    return int(value)


def canonical_status(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    for status in SEND_STATUSES:
        if status.lower() == value.lower():
            return status
    raise BadRequest([f"status: must be one of {', '.join(SEND_STATUSES)}, got {value!r}"])


def _search_text(value: str | None) -> str | None:
    # SQLite's LIKE stops reading a pattern at NUL, which would make it match everything.
    if value is not None and "\x00" in value:
        raise BadRequest(["q: must not contain the NUL character"])
    return value


@dataclass(frozen=True)
class SendFilters:
    """The sends filters of the API, by their query-parameter names' meaning."""

    tracking_id: str | None = None
    application_id: str | None = None
    segment_id: str | None = None
    table_id: str | None = None
    template_id: str | None = None
    status: str | None = None
    contact_key: str | None = None
    token: str | None = None
    api_user: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "SendFilters":
        """From camelCase query parameters, validating each; unknown parameters are ignored."""

        def text(name: str) -> str | None:
            value = query.get(name)
            return value if value else None

        def lowered(name: str) -> str | None:
            value = text(name)
            return value.lower() if value else None

        return cls(
            tracking_id=lowered("trackingId"),
            application_id=lowered("applicationId"),
            segment_id=lowered("segmentId"),
            table_id=lowered("tableId"),
            template_id=lowered("templateId"),
            status=canonical_status(text("status")),
            contact_key=text("contactKey"),
            token=text("token"),
            api_user=text("apiUser"),
            q=_search_text(text("q")),
            since=parse_time("since", text("since")),
            until=parse_time("until", text("until")),
        )

    def with_status(self, status: str) -> "SendFilters":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return SendFilters(**{**values, "status": status})


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


def send_conditions(filters: SendFilters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.tracking_id:
        conditions.append(sends.c.tracking_id == filters.tracking_id)
    if filters.application_id:
        conditions.append(_json_contains(sends.c.application_ids, filters.application_id))
    if filters.segment_id:
        conditions.append(sends.c.segment_id == filters.segment_id)
    if filters.table_id:
        conditions.append(sends.c.table_id == filters.table_id)
    if filters.template_id:
        conditions.append(_json_contains(sends.c.template_ids, filters.template_id))
    if filters.status:
        conditions.append(sends.c.status == filters.status)
    if filters.api_user:
        conditions.append(sends.c.api_user == filters.api_user)
    # Recipients are only known through deliveries, so these filters join them.
    if filters.contact_key:
        conditions.append(
            exists(
                select(deliveries.c.id).where(
                    deliveries.c.send_id == sends.c.id,
                    deliveries.c.contact_key == filters.contact_key,
                )
            )
        )
    if filters.token:
        conditions.append(
            exists(
                select(deliveries.c.id).where(
                    deliveries.c.send_id == sends.c.id, deliveries.c.token == filters.token
                )
            )
        )
    if filters.q:
        conditions.append(_text_matches(filters.q))
    if filters.since:
        conditions.append(sends.c.received_at >= filters.since)
    if filters.until:
        conditions.append(sends.c.received_at < filters.until)
    return conditions


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


def _request_body(text: str) -> Any:
    # Accepted sends were valid JSON; anything else is shown as the text it was.
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return text


def send_item(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "trackingId": row["tracking_id"],
        "transactionId": row["transaction_id"],
        "status": row["status"],
        "receivedAt": _iso(row["received_at"]),
        "updatedAt": _iso(row["updated_at"]),
        "scheduleAt": _iso(row["schedule_at"]),
        "completedAt": _iso(row["completed_at"]),
        "apiUser": row["api_user"],
        "clientIp": row["client_ip"],
        "request": _request_body(row["request_body"]),
        "content": row["content"],
        "applicationIds": row["application_ids"],
        "allApplications": row["all_applications"],
        "segmentId": row["segment_id"],
        "tableId": row["table_id"],
        "templateIds": row["template_ids"],
        "useOnlyEngagedTokens": row["use_only_engaged"],
        "warnings": row["warnings"],
        "response": row["response_body"],
        "deliveryCount": row["delivery_count"],
    }


def delivery_item(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "token": row["token"],
        "applicationId": row["application_id"],
        "platform": row["platform"],
        "contactKey": row["contact_key"],
        "language": row["language"],
        "deviceType": row["device_type"],
        "browser": row["browser"],
        "title": row["title"],
        "message": row["message"],
        "targetUrl": row["target_url"],
        "mediaUrl": row["media_url"],
        "extra": row["extra"],
        "status": row["status"],
        "reason": row["reason"],
        "createdAt": _iso(row["created_at"]),
        "openedAt": _iso(row["opened_at"]),
        "clickedAt": _iso(row["clicked_at"]),
    }


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {"items": self.items, "nextCursor": self.next_cursor}


def _page(rows: Sequence[RowMapping], limit: int, shape: Any) -> Page:
    # One row more than the page was read, so a last page never offers an empty next one.
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = str(rows[-1]["id"]) if more and rows else None
    return Page([shape(row) for row in rows], cursor)


def _newest_first(query: Select[Any], id_column: Any, cursor: int | None, limit: int) -> Any:
    # Keyset paging on the id: insertion order is "newest" even when the clock was moved back.
    if cursor is not None:
        query = query.where(id_column < cursor)
    return query.order_by(id_column.desc()).limit(limit + 1)


def list_sends(
    connection: Connection, filters: SendFilters, cursor: int | None = None, limit: int = 50
) -> Page:
    query = select(sends).where(and_(True, *send_conditions(filters)))
    rows = connection.execute(_newest_first(query, sends.c.id, cursor, limit)).mappings().all()
    return _page(rows, limit, send_item)


def count_sends(connection: Connection, filters: SendFilters) -> int:
    query = select(func.count()).select_from(sends).where(and_(True, *send_conditions(filters)))
    return int(connection.execute(query).scalar_one())


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


def deliveries_of(connection: Connection, send_id: int) -> list[dict[str, Any]]:
    rows = connection.execute(
        select(deliveries).where(deliveries.c.send_id == send_id).order_by(deliveries.c.id)
    ).mappings()
    return [delivery_item(row) for row in rows]


def send_detail(connection: Connection, key: str) -> dict[str, Any] | None:
    """The newest send with this tracking id (or this transaction id), with its deliveries.

    A tracking id may be reused by the caller; the other sends that carry it are listed by
    transaction id, which is unique per send and also accepted here.
    """
    key = key.lower()
    rows = (
        connection.execute(
            select(sends).where(sends.c.tracking_id == key).order_by(sends.c.id.desc())
        )
        .mappings()
        .all()
    )
    if not rows:
        rows = (
            connection.execute(select(sends).where(sends.c.transaction_id == key)).mappings().all()
        )
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
                "receivedAt": _iso(row["received_at"]),
            }
            for row in others
        ],
    }


def send_with_deliveries(connection: Connection, row: RowMapping) -> dict[str, Any]:
    return {**send_item(row), "deliveries": deliveries_of(connection, row["id"])}


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
            lines = [orjson.dumps(send_with_deliveries(connection, row)) + b"\n" for row in rows]
        if not rows:
            return
        yield b"".join(lines)
        last = rows[-1]["id"]


@dataclass(frozen=True)
class RequestFilters:
    status: int | None = None
    status_class: int | None = None  # 4 for "4xx"
    path: str | None = None
    api_user: str | None = None
    since: datetime | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> "RequestFilters":
        status = query.get("status") or None
        exact: int | None = None
        family: int | None = None
        if status is not None:
            if len(status) == 3 and status[0] in "12345" and status[1:].lower() == "xx":
                family = int(status[0])
            elif status.isdigit() and 100 <= int(status) <= 599:
                exact = int(status)
            else:
                raise BadRequest([f"status: must be an HTTP status such as 429 or 4xx: {status!r}"])
        return cls(
            status=exact,
            status_class=family,
            path=query.get("path") or None,
            api_user=query.get("apiUser") or None,
            since=parse_time("since", query.get("since") or None),
        )


def request_item(row: RowMapping) -> dict[str, Any]:
    return {
        "id": row["id"],
        "receivedAt": _iso(row["received_at"]),
        "method": row["method"],
        "path": row["path"],
        "query": row["query"],
        "status": row["status"],
        "apiUser": row["api_user"],
        "clientIp": row["client_ip"],
        "latencyMs": row["latency_ms"],
        "headers": row["headers"],
        "body": row["body"],
        "bodyTruncated": row["body_truncated"],
        "error": row["error"],
        "trackingId": row["tracking_id"],
        "fault": row["fault"],
    }


def list_requests(
    connection: Connection, filters: RequestFilters, cursor: int | None = None, limit: int = 50
) -> Page:
    conditions: list[ColumnElement[bool]] = []
    if filters.status is not None:
        conditions.append(journal.c.status == filters.status)
    if filters.status_class is not None:
        low = filters.status_class * 100
        conditions.append(and_(journal.c.status >= low, journal.c.status < low + 100))
    if filters.path:
        conditions.append(journal.c.path == filters.path)
    if filters.api_user:
        conditions.append(journal.c.api_user == filters.api_user)
    if filters.since:
        conditions.append(journal.c.received_at >= filters.since)
    query = select(journal).where(and_(True, *conditions))
    rows = connection.execute(_newest_first(query, journal.c.id, cursor, limit)).mappings().all()
    return _page(rows, limit, request_item)
