"""Opening the SQLite database: WAL, durable commits, and a schema version check."""

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from emulator.storage.tables import SCHEMA_VERSION, Meta

# MIGRATIONS[i] takes a database of schema version i + 1 to version i + 2, in one transaction,
# so a kept data volume survives an upgrade. Columns are added as SQLModel would create them.
MIGRATIONS: list[tuple[str, ...]] = [
    (  # 1 -> 2: SendTransactionalPush
        "ALTER TABLE send ADD COLUMN kind VARCHAR NOT NULL DEFAULT 'instant'",
        "ALTER TABLE send ADD COLUMN contact_key VARCHAR",
        "ALTER TABLE send ADD COLUMN trace_id VARCHAR",
        "ALTER TABLE send ADD COLUMN tags JSON NOT NULL DEFAULT '[]'",
        "ALTER TABLE send ADD COLUMN targets JSON",
        "ALTER TABLE send ADD COLUMN current JSON",
        "ALTER TABLE send ADD COLUMN language VARCHAR",
        "ALTER TABLE send ADD COLUMN inbox_params JSON",
        "ALTER TABLE send ADD COLUMN fallback_channel JSON",
        "ALTER TABLE journal ADD COLUMN repeat_of VARCHAR",
        "CREATE INDEX ix_send_kind ON send (kind)",
        "CREATE INDEX ix_send_contact_key ON send (contact_key)",
        "CREATE INDEX ix_send_trace ON send (api_user, trace_id)",
        "DROP INDEX IF EXISTS ix_send_api_user",  # ix_send_trace leads with api_user
        "CREATE INDEX ix_journal_api_user ON journal (api_user)",
    ),
    (  # 2 -> 3: the web inbox's unread markers; the device's own language on each delivery
        "ALTER TABLE send ADD COLUMN read_at DATETIME",
        "ALTER TABLE delivery ADD COLUMN device_language VARCHAR",
    ),
    (  # 3 -> 4: delivery outcomes, delivery delays, planned opens
        "ALTER TABLE delivery ADD COLUMN outcome VARCHAR",
        "ALTER TABLE delivery ADD COLUMN final_at DATETIME",
        "ALTER TABLE delivery ADD COLUMN open_due_at DATETIME",
        "ALTER TABLE delivery ADD COLUMN click_due_at DATETIME",
        "ALTER TABLE send ADD COLUMN fanned_out_at DATETIME",
        # Until now a delivery failed only for an unregistered device or an unknown token.
        "UPDATE delivery SET final_at = created_at, outcome = CASE"
        " WHEN status = 'Delivered' THEN 'delivered'"
        " WHEN reason = 'UnknownToken' THEN 'invalidToken'"
        " ELSE 'unregistered' END",
        "UPDATE send SET fanned_out_at = completed_at",
        "CREATE INDEX ix_delivery_due ON delivery (final_at) WHERE status = 'Sent'",
        "CREATE INDEX ix_delivery_pending ON delivery (send_id) WHERE status = 'Sent'",
        "CREATE INDEX ix_delivery_open_due ON delivery (open_due_at) WHERE open_due_at IS NOT NULL",
    ),
]
assert len(MIGRATIONS) == SCHEMA_VERSION - 1, "every schema version needs its migration"


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says which file and why, in one line."""


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; FULL makes each commit survive power loss,
    # which is what a 200 promises. Group commit keeps that affordable.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    # Foreign keys stay declared but unenforced: with them on, SQLite deletes a parent table
    # row by row (checking children), and a reset of 10,000 sends with 70,000 deliveries
    # took 616 ms instead of 40 ms. Nothing needs the check: every write goes through the one
    # writer, and a fan-out's chunk is inserted in the same transaction that finds its send
    # still there (storage/dispatch.insert_chunk), so no delivery outlives its send.
    cursor.execute("PRAGMA foreign_keys=OFF")
    # Debian's SQLite overwrites every freed page by default; nothing here is secret, and
    # without it a reset frees a large table without rewriting each of its pages.
    cursor.execute("PRAGMA secure_delete=OFF")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def open_database(path: Path) -> Engine:
    """Create the folder and file if needed, create tables, and refuse another schema version."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DatabaseError(
            f"{path.parent}: cannot create the data folder ({error.strerror})"
        ) from None
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False},
        pool_size=8,
        max_overflow=8,
    )
    event.listen(engine, "connect", _on_connect)
    try:
        _prepare(engine, path)
    except (OperationalError, SQLAlchemyDatabaseError) as error:
        engine.dispose()
        reason = str(error.orig) if error.orig is not None else str(error)
        raise DatabaseError(
            f"{path}: cannot be used as the emulator's database ({reason})"
        ) from None
    except DatabaseError:
        engine.dispose()
        raise
    return engine


def _prepare(engine: Engine, path: Path) -> None:
    existing = set(inspect(engine).get_table_names())
    if existing and "meta" not in existing:
        raise DatabaseError(
            f"{path}: this file is not a push-emulator database; name another with --db"
        )
    if "meta" in existing:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT value FROM meta WHERE key = 'schema_version'")
            ).first()
        found = row[0] if row else "none"
        if found != str(SCHEMA_VERSION):
            _migrate(engine, path, found)
    SQLModel.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', :v)"),
            {"v": str(SCHEMA_VERSION)},
        )
        # Probe that the file is writable now, not at the first send.
        probe_writable(connection)
    _ = Meta  # the table is created through the metadata above


def _migrate(engine: Engine, path: Path, found: str) -> None:
    """Bring an older database up to SCHEMA_VERSION; refuse a newer or an unknown one."""
    version = int(found) if found.isascii() and found.isdigit() else None
    if version is None or not 1 <= version < SCHEMA_VERSION:
        raise DatabaseError(
            f"{path}: database schema version {found} does not match this version's "
            f"{SCHEMA_VERSION}; move the file away or name another with --db"
        )
    with engine.begin() as connection:
        for step in MIGRATIONS[version - 1 :]:
            for statement in step:
                connection.execute(text(statement))
        connection.execute(
            text("UPDATE meta SET value = :v WHERE key = 'schema_version'"),
            {"v": str(SCHEMA_VERSION)},
        )


def probe_writable(connection: Connection) -> None:
    """A write that leaves nothing behind but needs room, as a send does: fails when the
    file, folder or disk cannot take one. (A no-op UPDATE passed on a full disk.)"""
    connection.execute(
        text(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('write-probe', hex(randomblob(8192)))"
        )
    )
    connection.execute(text("DELETE FROM meta WHERE key = 'write-probe'"))
