"""End to end, not just the 200: how fast accepted sends become Completed, read from the
emulator's own database while wrk (or a single client) sends."""

import sqlite3
import statistics
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

# Milliseconds from a send's acceptance to its completion, by SQLite's own date arithmetic.
_LATENCY_SQL = (
    "SELECT (julianday(completed_at) - julianday(received_at)) * 86400000.0 FROM send "
    "WHERE completed_at IS NOT NULL AND id > ?"
)
_BACKLOG_SQL = "SELECT COUNT(*) FROM send WHERE status IN ('Queued', 'Sending')"


def _read(db: Path) -> sqlite3.Connection:
    # Read-only and beside the server's writer: WAL lets both go on.
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)


def counts(db: Path) -> tuple[int, int, int]:
    """(sends stored, sends Completed, backlog: Queued + Sending)."""
    with _read(db) as connection:
        total = int(connection.execute("SELECT COUNT(*) FROM send").fetchone()[0])
        done = int(
            connection.execute("SELECT COUNT(*) FROM send WHERE status = 'Completed'").fetchone()[0]
        )
        backlog = int(connection.execute(_BACKLOG_SQL).fetchone()[0])
    return total, done, backlog


def latencies_ms(db: Path, after_id: int = 0) -> list[float]:
    """Of the sends Completed so far, stored after `after_id`; sorted."""
    with _read(db) as connection:
        return sorted(float(row[0]) for row in connection.execute(_LATENCY_SQL, (after_id,)))


def last_id(db: Path) -> int:
    with _read(db) as connection:
        return int(connection.execute("SELECT COALESCE(MAX(id), 0) FROM send").fetchone()[0])


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(share * len(values)))]


@dataclass
class BacklogSampler:
    """The backlog once a second while a load runs, so a growing one shows."""

    db: Path
    samples: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> "BacklogSampler":
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.samples.append(counts(self.db)[2])
            except sqlite3.Error:
                continue  # the database is not there yet, or busy: the next second


@dataclass
class EndToEnd:
    accepted_per_s: float
    completed_per_s: float
    backlog_end: int
    backlog_max: int
    drain_s: float  # after the load stopped, until the backlog was empty
    p50_ms: float
    p99_ms: float

    def line(self) -> str:
        keep_up = self.completed_per_s / self.accepted_per_s if self.accepted_per_s else 0.0
        return (
            f"end to end: {self.accepted_per_s:.0f} accepted/s, {self.completed_per_s:.0f} "
            f"completed/s ({keep_up:.2f} of accepted), backlog at the end {self.backlog_end} "
            f"(max {self.backlog_max}), drained in {self.drain_s:.1f} s; "
            f"200 -> Completed p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms"
        )


def after_load(db: Path, seconds: float, sampler: BacklogSampler, limit: float = 600) -> EndToEnd:
    """Read right after the load stopped, then wait for the backlog to drain."""
    total, done, backlog = counts(db)
    started = time.perf_counter()
    while counts(db)[2] and time.perf_counter() - started < limit:
        time.sleep(0.05)
    drain = time.perf_counter() - started
    values = latencies_ms(db)
    return EndToEnd(
        accepted_per_s=total / seconds,
        completed_per_s=done / seconds,
        backlog_end=backlog,
        backlog_max=max([*sampler.samples, backlog]),
        drain_s=drain,
        p50_ms=percentile(values, 0.5),
        p99_ms=percentile(values, 0.99),
    )


def idle_latency(base_url: str, db: Path, route: str, body: dict[str, object], sends: int) -> str:
    """One send at a time on an idle server: each 200 → Completed (p50, p99)."""
    with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer demo-token"}) as http:
        before = last_id(db)
        for _ in range(sends):
            http.post(route, json=body).raise_for_status()
            # Idle means the last one is done before the next is sent.
            deadline = time.perf_counter() + 10
            while counts(db)[2] and time.perf_counter() < deadline:
                time.sleep(0.005)
    values = latencies_ms(db, after_id=before)
    if len(values) < sends:
        return f"idle: only {len(values)} of {sends} sends completed"
    median = statistics.median(values)
    return (
        f"idle, one send at a time ({sends}): 200 -> Completed p50 {median:.1f} ms, "
        f"p99 {percentile(values, 0.99):.1f} ms"
    )
