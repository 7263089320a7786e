"""The one writer: group commits, a failing write alone fails, every answer after its commit,
and a failed commit (a full disk) never wedges it."""

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event
from sqlalchemy.exc import IntegrityError

from emulator.storage.db import open_database
from emulator.storage.rows import insert_rows
from emulator.storage.tables import JournalEntry
from emulator.storage.writer import Writer
from tests.support.app import runtime_of
from tests.support.demo import DEMO, inline_send
from tests.support.disk import DiskLimit
from tests.support.stored import stored_sends


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


def _journal_row(index: int, size: int = 4000) -> dict[str, object]:
    return {
        "received_at": datetime(2030, 1, 1, tzinfo=UTC),
        "method": "POST",
        "path": "/rest/push/sendInstant",
        "query": "",
        "status": 200,
        "client_ip": "127.0.0.1",
        "latency_ms": 1.0,
        "headers": {},
        "body": f"{index}" + "x" * size,
        "body_truncated": False,
    }


def _insert(index: int) -> Callable[[Connection], None]:
    return lambda connection: insert_rows(connection, JournalEntry, [_journal_row(index)])


def test_a_full_disk_fails_writes_until_space_is_freed_then_they_succeed(
    client: TestClient,
) -> None:
    runtime = runtime_of(client)
    disk = DiskLimit(runtime.engine, runtime.writer)
    disk.fill()
    failures: list[Exception] = []
    for index in range(200):  # what free room the file had left is used up first
        try:
            runtime.writer.run_sync(_insert(index))
        except sqlite3.OperationalError as error:
            failures.append(error)
            if len(failures) == 5:
                break
        else:
            assert not failures, "once full, every later write fails until space is freed"
    assert [str(f) for f in failures] == ["database or disk is full"] * 5
    disk.free()
    for index in range(5):
        runtime.writer.run_sync(_insert(index))
    assert client.get("/readyz").status_code == 200


def test_after_a_failed_commit_the_writer_starts_clean(tmp_path: Path) -> None:
    """A failure in COMMIT itself (here a deferred foreign key, as a disk full at fsync would
    be) used to wedge the connection: every later write failed until a restart."""
    engine = open_database(tmp_path / "w.db")
    # The emulator declares foreign keys without enforcing them; enforced here, and deferred
    # to COMMIT, a delivery of no send makes the commit itself fail.
    event.listen(engine, "checkout", lambda dbapi, *_: dbapi.execute("PRAGMA foreign_keys = ON"))
    writer = Writer(engine)

    def orphan_delivery(connection: Connection) -> None:
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        connection.exec_driver_sql(
            "INSERT INTO delivery (send_id, token, application_id, platform, extra, status, "
            "created_at) VALUES (999, 't', 'a', 'android', '{}', 'Delivered', "
            "'2030-01-01 00:00:00.000000')"
        )

    async def scenario() -> list[int]:
        await writer.start()
        try:
            with pytest.raises(IntegrityError, match="FOREIGN KEY"):
                await writer.run(orphan_delivery)
            for index in range(3):
                await writer.run(_insert(index))
            return await writer.run(
                lambda c: [r[0] for r in c.exec_driver_sql("SELECT id FROM journal")]
            )
        finally:
            await writer.stop()

    assert asyncio.run(scenario()) == [1, 2, 3]
    writer.close()
    engine.dispose()


def test_a_full_disk_is_a_503_for_the_send_and_sends_resume_once_freed(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    runtime = runtime_of(client)
    runtime.dispatcher.stop()  # only the sends write: the test counts their outcomes
    disk = DiskLimit(runtime.engine, runtime.writer)
    disk.fill()
    big = inline_send(content={"title": "x" * 5000})
    with caplog.at_level(logging.ERROR, logger="emulator.writer"):
        answers = [client.post("/rest/push/sendInstant", json=big, headers=DEMO)]
        while answers[-1].status_code == 200 and len(answers) < 200:  # the room left first
            answers.append(client.post("/rest/push/sendInstant", json=big, headers=DEMO))
        accepted = len(answers) - 1
        refused = [client.post("/rest/push/sendInstant", json=big, headers=DEMO) for _ in range(20)]
    assert {r.status_code for r in [answers[-1], *refused]} == {503}
    assert refused[0].json() == {
        "code": 503,
        "message": "The emulator's storage is unavailable; nothing was recorded.",
    }
    # The same cause, twenty sends and their journal rows: one traceback, not forty.
    assert sum(1 for r in caplog.records if r.exc_info) == 1
    disk.free()
    assert client.post("/rest/push/sendInstant", json=big, headers=DEMO).status_code == 200
    assert client.get("/readyz").status_code == 200
    assert len(stored_sends(client)) == accepted + 1  # nothing half-stored from the 503s
