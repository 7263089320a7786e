"""The database: created with its folder, schema version checked, writes durable and batched."""

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from emulator.app import create_app
from emulator.db import DatabaseError, open_database
from emulator.models import Delivery, JournalEntry, Send
from emulator.settings import Settings
from emulator.store import insert_rows
from emulator.writer import Writer
from tests.conftest import DEMO, inline_send, runtime_of
from tests.helpers import stored_sends


def test_the_database_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "emulator.db"
    open_database(path).dispose()
    assert path.exists()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = connection.execute("SELECT value FROM meta WHERE key='schema_version'")
        assert version.fetchone()[0] == "1"


def test_a_database_of_another_schema_version_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    open_database(path).dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(DatabaseError, match="schema version 0 does not match this version's 1"):
        open_database(path)


def test_a_file_that_is_not_ours_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(DatabaseError, match="not a push-emulator database"):
        open_database(path)


def test_a_file_that_is_not_sqlite_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database" * 100)
    with pytest.raises(DatabaseError, match="cannot be used as the emulator's database"):
        open_database(path)


def test_sends_survive_a_restart(tmp_path: Path, settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        tracking_id = client.post(
            "/rest/push/sendInstant", json=inline_send(), headers=DEMO
        ).json()["data"]["trackingId"]
    with TestClient(create_app(settings)) as client:
        assert [s.tracking_id for s in stored_sends(client)] == [tracking_id]


def _boom(_connection: object) -> None:
    raise ValueError("boom")


def test_a_failing_write_does_not_fail_its_neighbours_inline(tmp_path: Path) -> None:
    engine = open_database(tmp_path / "w.db")
    writer = Writer(engine)  # not started: writes commit on the caller's thread
    good = writer.submit(lambda c: insert_rows(c, JournalEntry, []))
    failing = writer.submit(_boom)
    assert good.result() is None
    with pytest.raises(ValueError, match="boom"):
        failing.result()
    writer.close()
    engine.dispose()


def test_a_failing_write_does_not_fail_its_batch_neighbours(client: TestClient) -> None:
    writer = runtime_of(client).writer

    def good(index: int) -> Callable[[object], int]:
        return lambda _connection: index

    futures = [writer.submit(_boom if i % 3 == 0 else good(i)) for i in range(30)]
    for index, future in enumerate(futures):
        if index % 3 == 0:
            with pytest.raises(ValueError, match="boom"):
                future.result()
        else:
            assert future.result() == index


def test_concurrent_sends_are_all_committed_before_their_answers(client: TestClient) -> None:
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        responses = list(
            pool.map(
                lambda _i: client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO),
                range(25),
            )
        )
    assert [r.status_code for r in responses] == [200] * 25
    stored = {s.transaction_id for s in stored_sends(client)}
    assert {r.json()["transactionId"] for r in responses} == stored


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
