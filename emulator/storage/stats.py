"""What the metrics read from storage: rows stored per table, and the database's size on disk."""

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Connection, func, select

from emulator.storage.deliveries import DELIVERY_COLUMNS, DeliveryRow
from emulator.storage.tables import deliveries, journal, sends

_OUTCOME = DELIVERY_COLUMNS.index("outcome")


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows in the send, delivery and journal tables."""
    return {
        table.name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
        for table in (sends, deliveries, journal)
    }


def database_bytes(path: Path) -> int:
    """The database file with its write-ahead log and shared-memory index."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        try:
            total += (path.parent / (path.name + suffix)).stat().st_size
        except FileNotFoundError:
            continue
    return total


def outcome_counts(rows: Iterable[DeliveryRow]) -> Counter[str]:
    """How many of the fan-out's rows had each outcome (fanout/outcomes.py: delivered,
    unregistered, ...), as the fan-out decided it, a delayed delivery's too."""
    return Counter(str(row[_OUTCOME]) for row in rows)
