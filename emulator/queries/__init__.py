"""Read queries over recorded sends, deliveries and the journal, shaped for the /_emulator API."""

from emulator.queries.common import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    deliveries,
    journal,
    parse_cursor,
    parse_limit,
    parse_time,
    sends,
)
from emulator.queries.journal_queries import RequestFilters, list_requests, request_item
from emulator.queries.send_queries import (
    SEND_STATUSES,
    SendFilters,
    count_sends,
    delivery_item,
    export_sends,
    list_sends,
    recent_non_matching,
    send_conditions,
    send_detail,
    send_item,
)

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "SEND_STATUSES",
    "Page",
    "RequestFilters",
    "SendFilters",
    "count_sends",
    "deliveries",
    "delivery_item",
    "export_sends",
    "journal",
    "list_requests",
    "list_sends",
    "parse_cursor",
    "parse_limit",
    "parse_time",
    "recent_non_matching",
    "request_item",
    "send_conditions",
    "send_detail",
    "send_item",
    "sends",
]
