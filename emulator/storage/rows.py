"""Storage on the hot path: rows straight to and from SQLite in the formats the models use."""

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Table
from sqlmodel import SQLModel

from emulator.storage.tables import Send


def sql_datetime(value: datetime) -> str:
    """How SQLAlchemy's SQLite DateTime stores a value, and binds one to compare against: UTC,
    no offset, microseconds. A raw insert must match it to the character, or `>=` misses rows.
    isoformat spells the year out in four digits (strftime's "%Y" writes year 1 as "1", which
    no reader parses back) and is twice as fast: this runs several times per request."""
    utc = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value
    return utc.isoformat(" ", "microseconds")


def read_time(value: str | None) -> datetime | None:
    """A stored datetime as the models read it back (aware, UTC); None for NULL and for text
    no version of ours wrote (as StoredTime reads it), never an error."""
    if value is None:
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def to_sql(value: Any) -> Any:
    """A Python value as the models' column types store it (JSON as text, UTC datetimes)."""
    if isinstance(value, datetime):
        return sql_datetime(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return value


@cache
def insert_sql(model: type[SQLModel], columns: tuple[str, ...], or_ignore: bool = False) -> str:
    """`INSERT [OR IGNORE] INTO <table> (<columns>) VALUES (?, ...)` for a model's table."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    verb = "INSERT OR IGNORE" if or_ignore else "INSERT"
    # Names come from our own table metadata, never from input; values are bound.
    return f"{verb} INTO {table.name} ({names}) VALUES ({marks})"


def raw_connection(connection: Connection) -> sqlite3.Connection:
    """The DB-API connection under a SQLAlchemy one, inside the same transaction."""
    driver = connection.connection.driver_connection
    assert isinstance(driver, sqlite3.Connection)
    return driver


def read_rows(engine: Engine, sql: str, parameters: Sequence[Any] = ()) -> list[Any]:
    """A read in plain SQL on a pooled DB-API connection. The dispatcher reads the queue this
    way several times a pass, a pass follows every accepted send, and SQLAlchemy's statement
    and result handling cost ~1.5 ms a pass (py-spy), paid under the GIL the requests need."""
    connection = engine.raw_connection()
    try:
        driver = connection.driver_connection
        assert isinstance(driver, sqlite3.Connection)
        return driver.execute(sql, parameters).fetchall()
    finally:
        connection.close()  # back to the pool, which rolls the read transaction back


def insert_row(connection: Connection, model: type[SQLModel], row: dict[str, Any]) -> int:
    """Insert one row and return its id. Plain sqlite3: the ORM's per-row cost here would be
    paid on the event loop, once per accepted send."""
    columns = tuple(row)
    cursor = raw_connection(connection).execute(
        insert_sql(model, columns), [to_sql(row[c]) for c in columns]
    )
    return int(cursor.lastrowid or 0)


def insert_rows(connection: Connection, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert rows of one shape with a single executemany."""
    if not rows:
        return
    columns = tuple(rows[0])
    raw_connection(connection).executemany(
        insert_sql(model, columns), [[to_sql(r[c]) for c in columns] for r in rows]
    )


def insert_send(connection: Connection, row: dict[str, Any]) -> int:
    return insert_row(connection, Send, row)
