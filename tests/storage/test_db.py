"""The database: created with its folder, schema version checked, writes durable and batched."""

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from emulator.app import create_app
from emulator.settings import Settings
from emulator.storage.db import DatabaseError, open_database
from emulator.storage.tables import SCHEMA_VERSION, Send
from tests.support.demo import DEMO, inline_send
from tests.support.stored import stored_sends


def test_the_database_and_its_folder_are_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "emulator.db"
    open_database(path).dispose()
    assert path.exists()
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = connection.execute("SELECT value FROM meta WHERE key='schema_version'")
        assert version.fetchone()[0] == str(SCHEMA_VERSION)


def test_a_database_of_another_schema_version_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    open_database(path).dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(
        DatabaseError, match=f"schema version 0 does not match this version's {SCHEMA_VERSION}"
    ):
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


def old_database(tmp_path: Path, version: int) -> sqlite3.Connection:
    """A database as that schema version created it (dumped from that release), to fill."""
    connection = sqlite3.connect(tmp_path / f"v{version}.db")
    dump = Path(__file__).parent / "data" / f"schema_v{version}.sql"
    connection.executescript(dump.read_text())
    return connection


def index_names(connection: Any, table: str) -> set[str]:
    found = connection.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,)
    )
    return {str(row[0]) for row in found}


def test_a_database_of_the_previous_version_is_migrated_and_keeps_its_sends(
    tmp_path: Path,
) -> None:
    # Version 1, with one send in it.
    path = tmp_path / "v1.db"
    with closing(old_database(tmp_path, 1)) as raw, raw:
        raw.execute(
            "INSERT INTO send (tracking_id, transaction_id, status, received_at, updated_at, "
            "api_user, client_ip, request_body, application_ids, all_applications, "
            "template_ids, use_only_engaged, content, warnings, response_body, delivery_count) "
            "VALUES ('t-1', 'x-1', 'Completed', '2026-11-01 10:00:00.000000', "
            "'2026-11-01 10:00:00.000000', 'demo-user', '127.0.0.1', '{}', '[]', 1, '[]', 0, "
            "'{\"content\": {\"title\": \"Old\"}}', '[]', '{}', 0)"
        )
    engine = open_database(path)
    try:
        with Session(engine) as session:
            [send] = session.exec(select(Send)).all()
        assert (send.tracking_id, send.kind, send.tags, send.trace_id) == (
            "t-1",
            "instant",
            [],
            None,
        )
        with engine.connect() as connection:
            version = connection.exec_driver_sql(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).scalar()
            indexes = index_names(connection, "send")
        assert version == str(SCHEMA_VERSION)
        assert {"ix_send_kind", "ix_send_contact_key", "ix_send_trace"} <= indexes
    finally:
        engine.dispose()
    # Opening it again finds nothing left to migrate.
    open_database(path).dispose()


def test_a_database_of_version_2_gains_read_marks_and_device_languages(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    with sqlite3.connect(path) as connection:
        connection.executescript((Path(__file__).parent / "data" / "schema_v2.sql").read_text())
    open_database(path).dispose()
    with sqlite3.connect(path) as connection:
        send_columns = {row[1] for row in connection.execute("PRAGMA table_info(send)")}
        delivery_columns = {row[1] for row in connection.execute("PRAGMA table_info(delivery)")}
        version = connection.execute("SELECT value FROM meta WHERE key='schema_version'")
        assert version.fetchone()[0] == str(SCHEMA_VERSION)
    assert "read_at" in send_columns
    assert "device_language" in delivery_columns


def test_a_database_of_version_3_gets_delivery_outcomes_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    # Version 3, with a completed send and three deliveries.
    path = tmp_path / "v3.db"
    when = "2026-11-01 10:00:00.000000"
    with closing(old_database(tmp_path, 3)) as raw, raw:
        raw.execute(
            "INSERT INTO send (id, kind, tracking_id, transaction_id, status, received_at, "
            "updated_at, api_user, client_ip, request_body, application_ids, all_applications, "
            "template_ids, use_only_engaged, content, warnings, response_body, delivery_count, "
            "completed_at, tags) VALUES (1, 'instant', 't-1', 'x-1', 'Completed', :when, "
            ":when, 'demo-user', '127.0.0.1', '{}', '[]', 1, '[]', 0, '{}', '[]', '{}', 3, "
            ":when, '[]')",
            {"when": when},
        )
        raw.executemany(
            "INSERT INTO delivery (send_id, token, application_id, platform, extra, status, "
            "reason, created_at) VALUES (1, ?, 'a', 'android', '{}', ?, ?, ?)",
            [
                ("ok", "Delivered", None, when),
                ("gone", "Failed", "Unregistered", when),
                ("stranger", "Failed", "UnknownToken", when),
            ],
        )
    engine = open_database(path)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT token, outcome, reason, final_at FROM delivery ORDER BY id"
            ).all()
            fanned_out = connection.exec_driver_sql("SELECT fanned_out_at FROM send").scalar()
            indexes = index_names(connection, "delivery")
        assert [tuple(row) for row in rows] == [
            ("ok", "delivered", None, "2026-11-01 10:00:00.000000"),
            ("gone", "unregistered", "Unregistered", "2026-11-01 10:00:00.000000"),
            ("stranger", "invalidToken", "UnknownToken", "2026-11-01 10:00:00.000000"),
        ]
        assert fanned_out == "2026-11-01 10:00:00.000000"
        assert {"ix_delivery_due", "ix_delivery_pending", "ix_delivery_open_due"} <= indexes
    finally:
        engine.dispose()
    open_database(path).dispose()


def test_a_database_of_a_newer_version_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    open_database(path).dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(DatabaseError, match="schema version 99 does not match"):
        open_database(path)
