"""The deliveries log: bounded, newest first, filtered, paged."""

from datetime import UTC, datetime
from typing import Any

import pytest

from emulator.errors import BadRequest
from emulator.webhooks.log import AttemptFilters, AttemptLog

AT = datetime(2030, 1, 1, tzinfo=UTC)


def add(log: AttemptLog, event_id: int, result: Any = "delivered", **extra: Any) -> None:
    fields = {
        "at": AT,
        "webhook": 0,
        "url": "http://r/",
        "event_id": event_id,
        "event_kind": "send",
        "attempt": 1,
        "result": result,
        "status": 200,
        "latency_ms": 1.0,
        "error": None,
        **extra,
    }
    log.add(**fields)


def test_it_keeps_the_newest_attempts_up_to_its_bound() -> None:
    log = AttemptLog(bound=3)
    for event_id in range(1, 6):
        add(log, event_id)
    page = log.page(AttemptFilters(), None, 50)
    assert [a["eventId"] for a in page.items] == [5, 4, 3]


def test_filters_and_pages() -> None:
    log = AttemptLog(bound=100)
    for event_id in range(1, 8):
        add(log, event_id, "failed" if event_id % 2 else "delivered", webhook=event_id % 3)
    failed = AttemptFilters.from_query({"result": "failed"})
    first = log.page(failed, None, 2)
    assert [a["eventId"] for a in first.items] == [7, 5]
    assert first.next_cursor is not None
    second = log.page(failed, int(first.next_cursor), 2)
    assert [a["eventId"] for a in second.items] == [3, 1]
    assert second.next_cursor is None
    assert log.count(failed) == 4
    assert log.count(AttemptFilters.from_query({"webhook": "1", "eventKind": "send"})) == 3
    assert [a["eventId"] for a in log.not_matching(failed, 2)] == [6, 4]


def test_a_bad_filter_is_a_400() -> None:
    with pytest.raises(BadRequest, match="result: must be one of delivered, failed, gave_up"):
        AttemptFilters.from_query({"result": "ok"})


def test_clear_empties_it() -> None:
    log = AttemptLog(bound=10)
    add(log, 1)
    assert log.clear() == 1
    assert log.count(AttemptFilters()) == 0
