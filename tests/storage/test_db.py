"""The database: created with its folder, schema version checked, writes durable and batched."""

import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from emulator.storage.db import DatabaseError, open_database
from tests.support.demo import DEMO, inline_send
from tests.support.stored import stored_sends


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
