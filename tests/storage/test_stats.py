"""What the metrics read from storage: row counts, the file's size, delivery outcomes."""

from emulator.runtime import Runtime
from emulator.storage.deliveries import DELIVERY_COLUMNS
from emulator.storage.stats import database_bytes, outcome_counts, row_counts
from emulator.storage.tables import JournalEntry


def test_row_counts_and_the_database_size(runtime: Runtime) -> None:
    with runtime.engine.connect() as connection:
        assert row_counts(connection) == {"send": 0, "delivery": 0, "journal": 0}
    empty_size = database_bytes(runtime.settings.db)
    assert empty_size > 0
    row = {
        "received_at": runtime.clock.now(),
        "method": "POST",
        "path": "/rest/login",
        "query": "",
        "status": 401,
        "client_ip": "127.0.0.1",
        "latency_ms": 1.0,
        "headers": {},
        "body": "x" * 50_000,
        "body_truncated": False,
    }
    runtime.writer.append(JournalEntry, row)
    with runtime.engine.connect() as connection:
        assert row_counts(connection)["journal"] == 1
    assert database_bytes(runtime.settings.db) > empty_size + 40_000


def test_outcomes_are_the_status_with_a_failures_reason() -> None:
    def row(status: str, reason: str | None) -> tuple[object, ...]:
        values: dict[str, object] = {name: None for name in DELIVERY_COLUMNS}
        values.update(status=status, reason=reason)
        return tuple(values[name] for name in DELIVERY_COLUMNS)

    rows = [row("Delivered", None), row("Delivered", None), row("Failed", "Unregistered")]
    assert outcome_counts(rows) == {"Delivered": 2, "Failed/Unregistered": 1}
