"""Reliability: kill -9 under load, a full disk, and the hostile corpus, against real servers.

    .venv/bin/python bench/reliability.py            # all three (~1 minute)
    .venv/bin/python bench/reliability.py kill       # or one: kill, disk-full, corpus

Each part prints its figures and exits non-zero if a promise broke: an acknowledged send
missing or stored twice after a kill, no recovery after the disk is freed, a 5xx or a
server that stopped answering. docs/RELIABILITY.md records a run.
"""

import argparse
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.fanout.personalise import compile_text  # noqa: E402
from emulator.serving import free_port, wait_until_ready  # noqa: E402

DEMO = {"Authorization": "Bearer demo-token", "Content-Type": "application/json"}
ANDROID_APP = "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"
CORPUS = ROOT / "tests" / "corpus"


def start(db: Path, port: int, *flags: str) -> "subprocess.Popen[bytes]":
    command = [sys.executable, "-m", "emulator", "serve", "--port", str(port), "--db", str(db)]
    # High rate limits: the load is the point, not the demo bucket.
    command += ["--rate-capacity", "1000000", "--rate-refill", "1000000", *flags]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_until_ready(f"http://127.0.0.1:{port}", process)
    return process


@contextmanager
def running(db: Path, port: int) -> Iterator[list[str]]:
    """A server for the block; its log (stderr) is in the list once it has stopped."""
    process = start(db, port)
    log: list[str] = []
    try:
        yield log
    finally:
        log.append(stop(process))


def stop(process: "subprocess.Popen[bytes]") -> str:
    if process.poll() is None:
        process.terminate()
        process.wait(60)
    return process.stderr.read().decode(errors="replace") if process.stderr else ""


# -- kill -9 under load -----------------------------------------------------------------------


def kill_under_load(rounds: int, seconds: float, workers: int) -> bool:
    """Sends from `workers` threads; the server is killed with SIGKILL mid-load, `rounds`
    times, and restarted on the same database. Every send that got its 200 must be stored
    exactly once, and fanned out, once the last server has caught up."""
    folder = Path(tempfile.mkdtemp(prefix="reliability-kill-"))
    db, port = folder / "e.db", free_port()
    url = f"http://127.0.0.1:{port}"
    acknowledged: list[str] = []
    tried = 0
    lock = threading.Lock()
    stopping = threading.Event()

    def load() -> None:
        nonlocal tried
        with httpx.Client(base_url=url, timeout=5) as client:
            while not stopping.is_set():
                tracking_id = str(uuid.uuid4())
                body = {
                    "applicationIds": [ANDROID_APP],
                    "trackingId": tracking_id,
                    "content": {"title": "Kill test", "message": tracking_id},
                }
                with lock:
                    tried += 1
                try:
                    response = client.post("/rest/push/sendInstant", json=body, headers=DEMO)
                except httpx.TransportError:
                    time.sleep(0.01)  # the server is down or restarting; try again
                    continue
                if response.status_code == 200:
                    with lock:
                        acknowledged.append(tracking_id)

    threads = [threading.Thread(target=load, daemon=True) for _ in range(workers)]
    process = start(db, port)
    try:
        for thread in threads:
            thread.start()
        started = time.monotonic()
        for _ in range(rounds):
            time.sleep(seconds)
            process.send_signal(signal.SIGKILL)
            process.wait()
            process = start(db, port)
        time.sleep(seconds)
        stopping.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        # The last server finishes every fan-out cut short by a kill, and every send stored
        # (acknowledged or not: a kill can land between a commit and its 200). A backlog of
        # thousands of small sends takes a while on a busy machine: up to five minutes.
        drained = time.monotonic()
        with httpx.Client(base_url=url, timeout=30) as client:
            while time.monotonic() - drained < 300 and any(
                client.get("/_emulator/sends", params={"status": s, "limit": 1}).json()["items"]
                for s in ("Queued", "Sending")
            ):
                time.sleep(0.5)  # polling the last server's remaining fan-outs, bounded
        drained = time.monotonic() - drained
    finally:
        stopping.set()
        stop(process)
    with sqlite3.connect(db) as connection:
        stored = Counter(r[0] for r in connection.execute("SELECT tracking_id FROM send"))
        unfinished = connection.execute(
            "SELECT count(*) FROM send WHERE status != 'Completed'"
        ).fetchone()[0]
        deliveries = connection.execute(
            "SELECT count(*), count(DISTINCT send_id || '/' || token) FROM delivery"
        ).fetchone()
    missing = [t for t in acknowledged if stored[t] == 0]
    twice = [t for t in acknowledged if stored[t] > 1]
    print(
        f"kill -9 under load: {rounds} kills in {elapsed:.0f} s, {workers} senders, "
        f"{tried} sends tried, {len(acknowledged)} acknowledged "
        f"({len(acknowledged) / elapsed:.0f}/s held across the kills), "
        f"{sum(stored.values())} stored; missing {len(missing)}, stored twice {len(twice)}, "
        f"not completed {unfinished} ({drained:.0f} s to finish the fan-outs); deliveries "
        f"{deliveries[0]}, duplicated {deliveries[0] - deliveries[1]}"
    )
    shutil.rmtree(folder, ignore_errors=True)
    return not missing and not twice and unfinished == 0 and deliveries[0] == deliveries[1]


# -- a full disk ------------------------------------------------------------------------------


@contextmanager
def small_disk(size: str) -> Iterator[Path]:
    """A tmpfs of `size` (needs root), removed afterwards."""
    mount = Path(tempfile.mkdtemp(prefix="reliability-disk-"))
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)
        mount.rmdir()


def fill(folder: Path) -> Path:
    """A file that takes every free byte of the file system; remove it to free the space."""
    filler = folder / "filler"
    with filler.open("wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass
    return filler


def disk_full() -> bool:
    """A real ENOSPC: the database on a tiny tmpfs, filled, then freed. The server must
    answer 503 (never 500) while full, and take sends and report ready again once freed,
    without a restart; its log must not fill with tracebacks."""
    if os.geteuid() != 0:
        print("disk full: skipped (mounting a tmpfs needs root)")
        return True
    port = free_port()
    body = {"applicationIds": [ANDROID_APP], "content": {"title": "x" * 2000}}
    with (
        small_disk("4m") as folder,
        running(folder / "e.db", port) as log,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client,
    ):
        filler = fill(folder)
        statuses: Counter[int] = Counter()
        full_started = time.monotonic()
        while time.monotonic() - full_started < 5:
            response = client.post("/rest/push/sendInstant", json=body, headers=DEMO)
            statuses[response.status_code] += 1
        ready_when_full = client.get("/readyz").status_code
        filler.unlink()
        freed = time.monotonic()
        recovered = None
        while time.monotonic() - freed < 30:
            response = client.post("/rest/push/sendInstant", json=body, headers=DEMO)
            if response.status_code == 200:
                recovered = time.monotonic() - freed
                break
            time.sleep(0.05)
        ready = client.get("/readyz").status_code
    tracebacks = log[0].count("Traceback")
    lines = len(log[0].splitlines())
    shown = ", ".join(f"{n}× {status}" for status, n in sorted(statuses.items()))
    print(
        f"disk full: 5 s of sends on a full 4 MB tmpfs answered {shown}; /readyz {ready_when_full} "
        f"while full; log: {tracebacks} traceback(s) in {lines} lines; after freeing, "
        f"the first send succeeded in "
        + (f"{recovered:.2f} s" if recovered is not None else "never (30 s)")
        + f", /readyz {ready}"
    )
    return 500 not in statuses and recovered is not None and ready == 200 and tracebacks < 10


# -- the hostile corpus -----------------------------------------------------------------------


def corpus() -> bool:
    """Every corpus file against a real server: no 5xx, and /livez answering throughout."""
    folder = Path(tempfile.mkdtemp(prefix="reliability-corpus-"))
    port = free_port()
    statuses: Counter[int] = Counter()
    slowest = 0.0
    files = sorted(CORPUS.glob("*.http"))
    with (
        running(folder / "e.db", port) as logs,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client,
    ):
        for path in files:
            head, _, body = path.read_bytes().partition(b"\n\n")
            method, target = head.decode().split(" ", 1)
            statuses[client.request(method, target, content=body, headers=DEMO).status_code] += 1
            client.put("/_emulator/clock", json={"mode": "real"})
            began = time.perf_counter()
            client.get("/livez")
            slowest = max(slowest, time.perf_counter() - began)
        alive = client.get("/livez").status_code == 200
        waited = client.get("/_emulator/sends/wait", params={"count": 1, "timeout": 60})
    log = logs[0]
    shutil.rmtree(folder, ignore_errors=True)
    shown = ", ".join(f"{n}× {status}" for status, n in sorted(statuses.items()))
    print(
        f"corpus: {len(files)} hostile requests: {shown}; slowest /livez after one "
        f"{slowest * 1000:.0f} ms; alive {alive}; fan-out done {waited.status_code == 200}; "
        f"tracebacks in the log {log.count('Traceback')}"
    )
    # The tag scan, side by side: the old regex over the whole text against the new scan.
    old = re.compile(r"{%(.*?)%}", re.DOTALL)
    for size in (5_000, 10_000, 20_000):
        source = "{%" * size
        began = time.perf_counter()
        sum(1 for _ in old.finditer(source))
        before = time.perf_counter() - began
        began = time.perf_counter()
        compile_text(source, "title")
        after = time.perf_counter() - began
        print(
            f"  tag scan of {len(source) // 1000} KB of '{{%': old regex {before * 1000:.0f} ms, "
            f"now {after * 1000:.2f} ms ({before / after:.0f}x)"
        )
    return max(statuses) < 500 and alive and "Traceback" not in log


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("parts", nargs="*", help="kill, disk-full, corpus (default: all)")
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3.0, help="load between two kills")
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    known = ["kill", "disk-full", "corpus"]
    if unknown := sorted(set(args.parts) - set(known)):
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(known)}")
    parts = args.parts or known
    ok = True
    if "kill" in parts:
        ok &= kill_under_load(args.kills, args.seconds, args.senders)
    if "disk-full" in parts:
        ok &= disk_full()
    if "corpus" in parts:
        ok &= corpus()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
