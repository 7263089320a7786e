"""What SQLite alone costs per small send: the emulator's own rows inserted again in plain
sqlite3, with its schema, indexes and durable commits, and nothing of Python's request path."""

import argparse
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import SQLModel

from emulator.storage.db import open_database
from emulator.storage.dispatch import FINISH_SQL
from emulator.storage.rows import insert_sql, sql_datetime
from emulator.storage.tables import COMPLETED, QUEUED, Delivery, JournalEntry, Send
from emulator.testing import run_emulator

AUTH = {"Authorization": "Bearer demo-token"}
# bench/run.py's SendInstantPush: a segment's Android devices, one personalised message.
BODY = {
    "applicationIds": ["3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"],
    "content": {"title": "Benchmark", "message": "Hello {%= $Contact.first_name %}"},
    "segmentId": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
}
# Sends per transaction: about what one group commit takes under bench/run.py's wrk load.
GROUP = 32


def rows_of(database: Path, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Every row of a table but its id, and the column names."""
    with sqlite3.connect(database) as connection:
        columns = [r[1] for r in connection.execute(f"PRAGMA table_info({table})")][1:]
        rows = connection.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()  # noqa: S608 - our own table's columns
    return columns, rows


def timed_writes(
    target: Path,
    model: type[SQLModel],
    columns: list[str],
    rows: list[tuple[Any, ...]],
    per_commit: int,
    shift: Callable[[tuple[Any, ...], int], tuple[Any, ...]] = lambda row, _round: row,
    accepted: bool = False,
    rounds: int = 3,
) -> tuple[float, float]:
    """µs per row to insert `rows` again, `per_commit` to a transaction, the way the server
    writes them: one by one when `accepted` (a send row, as the accept path inserts it), else
    with one executemany (journal rows, deliveries). Then, for accepted sends, µs per row to
    mark them Completed with the dispatcher's own statement. Medians of `rounds`."""
    engine = open_database(target)  # the emulator's schema, PRAGMAs and all
    raw = engine.raw_connection()
    connection: Any = raw.driver_connection
    connection.isolation_level = None
    sql = insert_sql(model, tuple(columns))
    inserts, finishes = [], []
    for round_ in range(rounds + 1):
        batch = [shift(row, round_) for row in rows]
        groups = [batch[start : start + per_commit] for start in range(0, len(batch), per_commit)]
        started = time.perf_counter()
        ids: list[list[int]] = []
        for group in groups:
            connection.execute("BEGIN")
            if accepted:
                ids.append([connection.execute(sql, row).lastrowid for row in group])
            else:
                connection.executemany(sql, group)
            connection.execute("COMMIT")
        inserted = time.perf_counter()
        now = sql_datetime(datetime.now(UTC))
        for group_ids in ids:
            connection.execute("BEGIN")
            connection.executemany(
                FINISH_SQL, [(COMPLETED, now, now, now, 4, "[]", i) for i in group_ids]
            )
            connection.execute("COMMIT")
        if round_:  # the first round fills the table and the cache: not timed
            inserts.append((inserted - started) / len(batch) * 1e6)
            finishes.append((time.perf_counter() - inserted) / len(batch) * 1e6)
    raw.close()
    engine.dispose()
    return statistics.median(inserts), statistics.median(finishes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=3000)
    args = parser.parse_args()
    with run_emulator(rate_capacity=10**9, rate_refill=10**9) as emulator:
        with httpx.Client(base_url=emulator.base_url, headers=AUTH, timeout=60) as http:
            for _ in range(args.sends):
                assert http.post("/push/sendInstant", json=BODY).status_code == 200
        assert emulator.runtime.dispatcher.wait_idle(600)
        emulator.runtime.writer.run_sync(lambda _c: None)
        source = Path(emulator.settings.db)
        sends = rows_of(source, "send")
        deliveries = rows_of(source, "delivery")
        journal = rows_of(source, "journal")
    per_send = len(deliveries[1]) / max(len(sends[1]), 1)
    send_id = deliveries[0].index("send_id")

    def new_send_ids(row: tuple[Any, ...], round_: int) -> tuple[Any, ...]:
        # (send_id, application_id, token) is unique: each round belongs to new sends.
        return (*row[:send_id], row[send_id] + round_ * 10**7, *row[send_id + 1 :])

    status = sends[0].index("status")

    def queued(row: tuple[Any, ...], _round: int) -> tuple[Any, ...]:
        # Stored as it is accepted: Queued, so marking it Completed moves its index entry.
        return (*row[:status], QUEUED, *row[status + 1 :])

    with tempfile.TemporaryDirectory(prefix="push-rowcost-") as work:
        folder = Path(work)
        send_us, finish_us = timed_writes(
            folder / "send.db", Send, *sends, GROUP, queued, accepted=True
        )
        journal_us, _ = timed_writes(folder / "journal.db", JournalEntry, *journal, GROUP)
        delivery_us, _ = timed_writes(
            folder / "delivery.db", Delivery, *deliveries, round(GROUP * per_send), new_send_ids
        )
    total = send_us + finish_us + journal_us + delivery_us * per_send
    print(
        f"SQLite alone, {len(sends[1])} sends' own rows inserted again ({GROUP} sends a commit, "
        f"synchronous=FULL, the emulator's indexes):"
    )
    print(f"  send row      {send_us:6.1f} µs   (then marked Completed: {finish_us:.1f} µs)")
    print(f"  journal row   {journal_us:6.1f} µs")
    fanned = delivery_us * per_send
    print(f"  delivery row  {delivery_us:6.1f} µs   ({per_send:.0f} a send: {fanned:.1f} µs)")
    print(f"  a small send's rows, accepted and fanned out: {total:.0f} µs of one core")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
