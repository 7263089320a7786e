"""Raw inserts store values in the formats the tables read back and compare in SQL."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from emulator.storage.dispatch import next_scheduled_at
from emulator.storage.rows import read_rows, read_time, sql_datetime
from emulator.storage.tables import Delivery, JournalEntry, Send
from tests.support.app import runtime_of
from tests.support.demo import DEMO, inline_send


def test_times_written_by_raw_inserts_compare_in_sql_like_the_orms(client: TestClient) -> None:
    """Raw inserts must store datetimes as SQLAlchemy binds them, or `>=` misses rows."""
    instant = datetime(2030, 1, 1, tzinfo=UTC)
    runtime = runtime_of(client)
    runtime.clock.freeze(instant)
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code == 200
    )
    assert runtime.dispatcher.wait_idle(10)
    runtime.writer.run_sync(lambda _c: None)
    with Session(runtime.engine) as session:
        sends = session.exec(select(Send).where(Send.received_at >= instant)).all()
        rows = session.exec(select(JournalEntry).where(JournalEntry.received_at >= instant)).all()
        deliveries = session.exec(select(Delivery).where(Delivery.created_at >= instant)).all()
    assert len(sends) == 1
    assert len(rows) == 1
    assert len(deliveries) == 7


def test_plain_reads_parse_stored_times_as_the_models_do(client: TestClient) -> None:
    """The dispatcher's plain-SQL reads must see the same instants the ORM does: a scheduled
    send's time read back equal, and unreadable text read as None, never an error."""
    runtime = runtime_of(client)
    instant = datetime(2031, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    assert read_time(sql_datetime(instant)) == instant
    assert read_time(None) is None
    assert read_time("1-01-01") is None
    answer = client.post(
        "/rest/push/sendInstant",
        json={**inline_send(), "scheduleDate": "2031-05-06 07:08:09.123"},
        headers=DEMO,
    )
    assert answer.status_code == 200
    runtime.writer.run_sync(lambda _c: None)
    assert next_scheduled_at(runtime.engine) == instant
    assert read_rows(
        runtime.engine, "SELECT COUNT(*) FROM send WHERE status = ?", ("Scheduled",)
    ) == [(1,)]
