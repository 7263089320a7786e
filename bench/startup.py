"""Start-up and per-test isolation: `serve` to ready, in-process start, reset, beside moto."""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from emulator.serving import free_port

BIN = Path(sys.executable).parent
POLL = 0.01  # both servers are probed the same way, every 10 ms
MOTO = BIN / "moto_server"
IN_PROCESS = """
import time
start = time.perf_counter()
from emulator.testing import run_emulator
with run_emulator() as emulator:
    print(time.perf_counter() - start)
"""
MOTO_HINT = "moto's server is not installed: pip install -e '.[bench]'"


def ready_after(command: list[str], probe: str, env: dict[str, str]) -> float:
    """Seconds from starting `command` to its first 200 on `probe`."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"{command[0]} exited with {process.returncode}")
            try:
                if httpx.get(probe, timeout=1).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            time.sleep(POLL)
    finally:
        process.terminate()
        process.wait(timeout=30)


def emulator_start(work: Path) -> float:
    port = free_port()
    command = [
        str(BIN / "push-emulator"),
        "serve",
        "--port",
        str(port),
        "--db",
        str(work / f"{port}.db"),
    ]
    return ready_after(command, f"http://127.0.0.1:{port}/readyz", dict(os.environ))


def moto_start(_work: Path) -> float:
    port = free_port()
    return ready_after(
        [str(MOTO), "-p", str(port)], f"http://127.0.0.1:{port}/moto-api/", dict(os.environ)
    )


# The floor under any start of ours: importing the libraries the server is built on.
STACK_IMPORTS = "import fastapi, sqlmodel, pydantic_settings, uvicorn, uvloop, httptools"


def stack_imports(_work: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", STACK_IMPORTS], check=True)
    return time.perf_counter() - start


def in_process_start(_work: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", IN_PROCESS], check=True, capture_output=True, text=True
    )
    return float(out.stdout.strip())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed_calls(call: Callable[[], object], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return times


def emulator_resets(repeat: int, stored: int) -> tuple[list[float], list[float], int]:
    """(resets after a test's one send, resets of `stored` sends with their deliveries,
    deliveries per stored send), through the plugin's own client call."""
    from emulator.testing import run_emulator

    body = {
        "applicationIds": ["3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"],
        "content": {"title": "Hi", "message": "Hello"},
    }
    auth = {"Authorization": "Bearer demo-token"}
    with (
        run_emulator(rate_capacity=10**9, rate_refill=10**9) as emulator,
        httpx.Client(base_url=emulator.base_url, headers=auth) as app,
    ):
        client = emulator.client
        after_a_test = []
        for _ in range(repeat):
            app.post("/push/sendInstant", json=body)
            client.wait_for_sends()  # fanned out, as a test that waited would leave it
            after_a_test += timed_calls(lambda: client.reset(keep_tokens=True), 1)
        full = []
        per_send = 0
        for _ in range(3):
            for _ in range(stored):
                app.post("/push/sendInstant", json=body)
            assert emulator.runtime.dispatcher.wait_idle(600)
            per_send = client.sends_page(limit=1)["items"][0]["deliveryCount"]
            full += timed_calls(lambda: client.reset(keep_tokens=True), 1)
    return after_a_test, full, per_send


def moto_resets(repeat: int) -> list[float]:
    port = free_port()
    process = subprocess.Popen(
        [str(MOTO), "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(POLL)
        with httpx.Client(base_url=url) as http:
            return timed_calls(lambda: http.post("/moto-api/reset").raise_for_status(), repeat)
    finally:
        process.terminate()
        process.wait(timeout=30)


def ms(value: float) -> str:
    return f"{value * 1000:.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7, help="starts of each, alternating")
    parser.add_argument("--resets", type=int, default=200)
    parser.add_argument("--stored", type=int, default=10_000)
    args = parser.parse_args()
    if not MOTO.exists():
        raise SystemExit(MOTO_HINT)
    work = Path(tempfile.mkdtemp(prefix="push-bench-start-"))
    runs = {
        "emulator": emulator_start,
        "moto": moto_start,
        "in-process": in_process_start,
        "stack": stack_imports,
    }
    starts: dict[str, list[float]] = {name: [] for name in runs}
    # Alternating, so each sees the same load on a shared machine.
    for _ in range(args.rounds):
        for name, run in runs.items():
            starts[name].append(run(work))
    shutil.rmtree(work, ignore_errors=True)
    for name, label in (
        ("emulator", "push-emulator serve -> /readyz 200"),
        ("moto", "moto_server -> /moto-api/ 200"),
        ("in-process", "run_emulator() in a fresh interpreter, imports included"),
        ("stack", "python -c 'import fastapi, sqlmodel, pydantic_settings, ...'"),
    ):
        values = starts[name]
        print(f"{label:<58} median {ms(statistics.median(values))}, min {ms(min(values))}")
    ratio = statistics.median(starts["emulator"]) / statistics.median(starts["moto"])
    print(f"{'start ratio (emulator / moto, medians)':<58} {ratio:.2f}")

    after_a_test, full, per_send = emulator_resets(args.resets, args.stored)
    moto = moto_resets(args.resets)
    print(
        f"{'reset after a test (1 send), keepTokens':<58} p50 {ms(percentile(after_a_test, 0.5))}, "
        f"p90 {ms(percentile(after_a_test, 0.9))}"
    )
    print(
        f"{f'reset clearing {args.stored} sends x {per_send} deliveries':<58} "
        f"median {ms(statistics.median(full))} (of {len(full)})"
    )
    print(
        f"{'moto: POST /moto-api/reset':<58} p50 {ms(percentile(moto, 0.5))}, "
        f"p90 {ms(percentile(moto, 0.9))}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
