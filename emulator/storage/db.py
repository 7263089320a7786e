"""Opening the SQLite database: WAL, durable commits, and a schema version check."""

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.exc import OperationalError
from sqlmodel import SQLModel

from emulator.storage.tables import SCHEMA_VERSION, Meta


class DatabaseError(RuntimeError):
    """The database cannot be used; the message says which file and why, in one line."""


def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; FULL makes each commit survive power loss,
    # which is what a 200 promises. Group commit keeps that affordable.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
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
            raise DatabaseError(
                f"{path}: database schema version {found} does not match this version's "
                f"{SCHEMA_VERSION}; move the file away or name another with --db"
            )
    SQLModel.metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', :v)"),
            {"v": str(SCHEMA_VERSION)},
        )
        # Probe that the file is writable now, not at the first send.
        probe_writable(connection)
    _ = Meta  # the table is created through the metadata above


def probe_writable(connection: Connection) -> None:
    """A write that leaves nothing behind but needs room, as a send does: fails when the
    file, folder or disk cannot take one. (A no-op UPDATE passed on a full disk.)"""
    connection.execute(
        text(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('write-probe', hex(randomblob(8192)))"
        )
    )
    connection.execute(text("DELETE FROM meta WHERE key = 'write-probe'"))
