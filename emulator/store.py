"""Storage writes and queries over the SQLite tables; plain functions on a connection."""

from typing import Any

from sqlalchemy import Connection, insert

from emulator.models import JournalEntry, Send


def insert_send(connection: Connection, row: dict[str, Any]) -> int:
    result = connection.execute(insert(Send.__table__).returning(Send.__table__.c.id), row)  # type: ignore[attr-defined]
    return int(result.scalar_one())


def insert_journal(connection: Connection, row: dict[str, Any]) -> None:
    connection.execute(insert(JournalEntry.__table__), row)  # type: ignore[attr-defined]
