"""Per-test isolation on a shared emulator: a run-time API user created and purged, against a
reset, each with 10,000 sends stored (p50 and p99 over 200 calls each, in one run)."""

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable

import httpx

from emulator.testing import RunningEmulator, run_emulator

AUTH = {"Authorization": "Bearer demo-token"}
BODY = {
    "applicationIds": ["3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"],
    "content": {"title": "Stored", "message": "one of many"},
}


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):7.2f} ms   p99 {p99:7.2f} ms   (n={len(ordered)})"


def timed(call: Callable[[], None]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def store(emulator: RunningEmulator, sends: int) -> None:
    with httpx.Client(base_url=emulator.base_url, headers=AUTH, timeout=60) as http:
        for _ in range(sends):
            assert http.post("/push/sendInstant", json=BODY).status_code == 200
    assert emulator.runtime.dispatcher.wait_idle(600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    with run_emulator(rate_capacity=10**9, rate_refill=10**9) as emulator:
        store(emulator, args.sends)
        client = emulator.client
        print(f"{args.sends} sends stored (each fanned out to the Android devices)")

        # A test's own user: created, one send of its own, then removed with its rows.
        isolate: list[float] = []
        with httpx.Client(base_url=emulator.base_url, timeout=60) as http:
            for _ in range(args.calls):
                started = time.perf_counter()
                user = client.create_user()
                created = time.perf_counter()
                token = {"Authorization": f"Bearer {user['tokens'][0]}"}
                assert http.post("/push/sendInstant", json=BODY, headers=token).status_code == 200
                purging = time.perf_counter()
                client.delete_user(user["userkey"], purge=True)
                isolate.append((created - started + time.perf_counter() - purging) * 1000)
        print(f"{'create a user + purge it':<38}{percentiles(isolate)}")

        # A reset clears everything: the stored sends are put back before each one, so every
        # reset has the same 10,000 to clear (copied aside once, restored in SQL).
        database = str(emulator.settings.db)
        with sqlite3.connect(database, timeout=30) as db:
            db.execute("CREATE TABLE kept_send AS SELECT * FROM send")
            db.execute("CREATE TABLE kept_delivery AS SELECT * FROM delivery")
        client.reset()  # the loop below puts them back before each reset it times
        resets: list[float] = []
        for _ in range(args.calls):
            with sqlite3.connect(database, timeout=30) as db:
                db.execute("INSERT INTO send SELECT * FROM kept_send")
                db.execute("INSERT INTO delivery SELECT * FROM kept_delivery")
            resets.append(timed(client.reset))
        print(f"{f'reset ({args.sends:,} sends to clear)':<38}{percentiles(resets)}")
        empty = [timed(client.reset) for _ in range(args.calls)]
        print(f"{'reset (nothing stored)':<38}{percentiles(empty)}")
        ratio = statistics.median(isolate) / statistics.median(resets)
        print(f"create + purge ÷ reset with the sends stored (p50): {ratio:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
