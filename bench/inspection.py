"""Latency of the /_emulator reads, the web inbox's pages, the export and a wait, with many
sends stored."""

import argparse
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from emulator.testing import run_emulator

AUTH = {"Authorization": "Bearer demo-token"}
BODY = {
    "applicationIds": ["3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"],
    "content": {"title": "Hi", "message": "Hello"},
}


def timed(label: str, call: Callable[[], httpx.Response], repeat: int) -> None:
    """Mean and slowest of `repeat` round trips on loopback: an upper bound of server time."""
    took = []
    for _ in range(repeat):
        start = time.perf_counter()
        assert call().status_code == 200
        took.append((time.perf_counter() - start) * 1000)
    median = sorted(took)[repeat // 2]
    print(
        f"{label:<44} {sum(took) / repeat:7.1f} ms mean, {median:6.1f} median, "
        f"{max(took):6.1f} slowest ({repeat})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sends", type=int, default=10_000)
    parser.add_argument("--waits", type=int, default=20)
    args = parser.parse_args()
    with (
        run_emulator(rate_capacity=10**9, rate_refill=10**9) as emulator,
        httpx.Client(timeout=60) as http,
    ):
        for _ in range(args.sends):
            http.post(f"{emulator.base_url}/push/sendInstant", json=BODY, headers=AUTH)
        # The backlog is fanned out first, so a wait below measures one send, not the queue.
        assert emulator.runtime.dispatcher.wait_idle(600)
        sends = f"{emulator.url}/_emulator/sends"
        print(f"{args.sends} sends stored")
        timed("GET sends (page of 50)", lambda: http.get(sends), 20)
        timed("GET sends q=<no match> (full scan)", lambda: http.get(sends, params={"q": "x"}), 20)
        timed("GET sends limit=500", lambda: http.get(sends, params={"limit": 500}), 20)
        timed(
            "GET requests (page of 50)", lambda: http.get(f"{emulator.url}/_emulator/requests"), 20
        )
        # The web inbox: its first page (100 rows, each with its first delivery's text, the
        # counts and the unread count), the fragment the live page re-reads, a search, and a
        # device's inbox.
        ui = f"{emulator.url}/_emulator/ui"
        timed("inbox: GET / (first page of 100)", lambda: http.get(f"{emulator.url}/"), 50)
        timed(
            "inbox: the list fragment (live re-read)", lambda: http.get(f"{ui}/fragments/inbox"), 20
        )
        search = {"q": "status:completed contact:c-001 hello"}
        timed("inbox: GET / q=status: contact: text", lambda: http.get(f"{ui}/", params=search), 20)
        timed(
            "inbox: a device's inbox (first 50)",
            lambda: http.get(f"{ui}/devices/fcm-ada-pixel8"),
            20,
        )
        timed(
            "GET export (every send, NDJSON)",
            lambda: http.get(f"{emulator.url}/_emulator/export"),
            3,
        )
        latencies = []
        for index in range(args.waits):
            tracking = f"0b7d4c2e-1111-4222-8333-{index:012d}"
            answer: dict[str, Any] = {}

            def wait(tracking: str = tracking, answer: dict[str, Any] = answer) -> None:
                params = {"trackingId": tracking, "timeout": "30"}  # Completed: fanned out
                answer["response"] = http.get(f"{sends}/wait", params=params)
                answer["at"] = time.perf_counter()

            waiter = threading.Thread(target=wait)
            waiter.start()
            time.sleep(0.2)  # a bench, not a test: let the waiter subscribe first
            http.post(
                f"{emulator.base_url}/push/sendInstant",
                json={**BODY, "trackingId": tracking},
                headers=AUTH,
            )
            sent = time.perf_counter()
            waiter.join()
            assert answer["response"].status_code == 200
            latencies.append((answer["at"] - sent) * 1000)
        latencies.sort()
        median = latencies[len(latencies) // 2]
        print(
            f"{'wait: Completed, after the send 200':<40} {median:8.1f} ms median, "
            f"{latencies[-1]:.1f} ms max ({args.waits} waits)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
