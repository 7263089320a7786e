"""What the metrics read from storage: rows stored per table, and the database's size on disk."""

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import Connection, func, select

from emulator.storage.deliveries import DELIVERY_COLUMNS, DeliveryRow
from emulator.storage.tables import deliveries, journal, sends

_STATUS = DELIVERY_COLUMNS.index("status")
_REASON = DELIVERY_COLUMNS.index("reason")


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


def delivery_outcome(status: str, reason: str | None) -> str:
    """A delivery's outcome as one word: its status, with the reason of a failure."""
    return status if reason is None else f"{status}/{reason}"


def outcome_counts(rows: Iterable[DeliveryRow]) -> Counter[str]:
    """How many of the fan-out's rows had each outcome."""
    return Counter(delivery_outcome(row[_STATUS], row[_REASON]) for row in rows)
