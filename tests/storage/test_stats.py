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


def test_outcomes_are_counted_by_the_outcome_the_fan_out_decided() -> None:
    def row(status: str, outcome: str, reason: str | None) -> tuple[object, ...]:
        values: dict[str, object] = {name: None for name in DELIVERY_COLUMNS}
        values.update(status=status, outcome=outcome, reason=reason)
        return tuple(values[name] for name in DELIVERY_COLUMNS)

    rows = [
        row("Delivered", "delivered", None),
        row("Delivered", "delivered", None),
        row("Failed", "unregistered", "410 Gone"),
        row("Sent", "throttled", "QUOTA_EXCEEDED"),  # delayed: counted as decided
    ]
    assert outcome_counts(rows) == {"delivered": 2, "unregistered": 1, "throttled": 1}
