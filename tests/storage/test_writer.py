"""The one writer: group commits, a failing write alone fails, every answer after its commit."""

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emulator.storage.db import open_database
from emulator.storage.rows import insert_rows
from emulator.storage.tables import JournalEntry
from emulator.storage.writer import Writer
from tests.support.app import runtime_of
from tests.support.demo import DEMO, inline_send
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
