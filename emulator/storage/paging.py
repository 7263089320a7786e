"""What every /_emulator list shares: the tables, time and paging parameters, pages."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import RowMapping, Select

from emulator.errors import BadRequest
from emulator.filters import DEFAULT_LIMIT, MAX_LIMIT


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
    # SQLite ids are 64-bit: longer digit strings cannot be one of ours. ASCII digits only:
    # str.isdigit() also says yes to "²", which int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise BadRequest([f"cursor: not a cursor this server gave out: {value!r}"])
    return int(value)


def iso(value: object) -> str | None:
    """A stored time as ISO 8601 UTC; whatever else is stored is shown as text, never a 500."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None

    def to_json(self) -> dict[str, Any]:
        return {"items": self.items, "nextCursor": self.next_cursor}


def page_of(rows: Sequence[RowMapping], limit: int, shape: Any) -> Page:
    # One row more than the page was read, so a last page never offers an empty next one.
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = str(rows[-1]["id"]) if more and rows else None
    return Page([shape(row) for row in rows], cursor)


def newest_first(query: Select[Any], id_column: Any, cursor: int | None, limit: int) -> Any:
    # Keyset paging on the id: insertion order is "newest" even when the clock was moved back.
    if cursor is not None:
        query = query.where(id_column < cursor)
    return query.order_by(id_column.desc()).limit(limit + 1)
