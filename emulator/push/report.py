"""The delivery report of a completed send, for one application, shaped as the real one."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from emulator.errors import BadRequest, NotFound
from emulator.fanout.outcomes import BOUNCES
from emulator.push.contract import is_guid
from emulator.storage.deliveries import report_rows
from emulator.storage.tables import DELIVERED


@dataclass(frozen=True)
class ReportQuery:
    tracking_id: str
    application_id: str


def parse_report_query(params: Mapping[str, str]) -> ReportQuery:
    """Both query parameters are required GUIDs; every problem is named in one 400."""
    problems: list[str] = []
    values: dict[str, str] = {}
    for name in ("trackingId", "applicationId"):
        value = params.get(name)
        if value is None or not value.strip():
            problems.append(f"{name}: is required (a query parameter)")
        elif not is_guid(value.strip()):
            problems.append(f"{name}: must be a GUID (8-4-4-4-12 hexadecimal digits)")
        else:
            values[name] = value.strip().lower()
    if problems:
        raise BadRequest(problems)
    return ReportQuery(values["trackingId"], values["applicationId"])


def _timestamp(value: datetime) -> str:
    # The real format is unknown [guess]: ISO 8601 in UTC with milliseconds and a Z.
    # Stored times are naive UTC; the year is spelt out, as "%Y" writes year 1 as "1".
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


def _items(groups: dict[str, list[int]]) -> list[dict[str, Any]]:
    return [
        {"itemName": name, "deliveredCount": delivered, "openCount": opened}
        for name, (delivered, opened) in sorted(groups.items())
    ]


def _most_common(reasons: Counter[str]) -> str | None:
    """The reason most errors gave (ties: the first in alphabetical order) [guess: the real
    service's errorMessage is undocumented]."""
    if not reasons:
        return None
    return min(reasons, key=lambda reason: (-reasons[reason], reason))


def delivery_report(engine: Engine, query: ReportQuery) -> dict[str, Any]:
    """The report's `data`; 404 while the send is unknown or not yet fanned out.

    Only final deliveries count: while delayed ones are on their way the report says
    `Sending` and fills up as they arrive. A trackingId may be reused by a caller (it is
    theirs to give): the latest send carrying it is reported [guess].
    """
    found = report_rows(engine, query.tracking_id, query.application_id)
    send = found.send
    if send is None:
        raise NotFound(f"No send with trackingId {query.tracking_id!r}.")
    if not found.ready:
        raise NotFound(
            f"No delivery report yet: the send with trackingId {query.tracking_id!r} is "
            f"{send.status}."
        )
    rows = found.groups
    delivered = opens = bounces = errors = 0
    reasons: Counter[str] = Counter()
    browsers: dict[str, list[int]] = {}
    device_types: dict[str, list[int]] = {}
    for row in rows:
        count = int(row.n)
        is_delivered = row.status == DELIVERED
        was_opened = bool(row.opened) and is_delivered
        if is_delivered:
            delivered += count
        elif row.outcome in BOUNCES:
            # A permanent failure (unregistered, invalid, another sender's token) bounces;
            # the rest (quota, provider trouble) are errors a retry may cure.
            bounces += count
        else:
            errors += count
            reasons[row.reason or row.status] += count
        if was_opened:
            opens += count
        for groups, name in ((browsers, row.browser), (device_types, row.device_type)):
            if name is None:
                continue
            counts = groups.setdefault(name, [0, 0])
            counts[0] += count if is_delivered else 0
            counts[1] += count if was_opened else 0
    return {
        "status": send.status,
        "createdAt": _timestamp(send.received_at),
        "totalDeliveredCount": delivered,
        "totalOpenCount": opens,
        "totalBounceCount": bounces,
        "totalErrorCount": errors,
        "errorMessage": _most_common(reasons),
        "browsers": _items(browsers),
        "deviceTypes": _items(device_types),
    }
