"""The request journal: filters and pages."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, RowMapping, and_, select

from emulator.errors import BadRequest
from emulator.storage.paging import Page, iso, newest_first, page_of, parse_time
from emulator.storage.tables import journal


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
            elif status.isascii() and status.isdigit() and 100 <= int(status) <= 599:
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
        "receivedAt": iso(row["received_at"]),
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
        "repeatOf": row["repeat_of"],
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
    rows = connection.execute(newest_first(query, journal.c.id, cursor, limit)).mappings().all()
    return page_of(rows, limit, request_item)
