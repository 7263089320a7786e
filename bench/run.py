"""Send throughput against a bare FastAPI app under the same wrk load, in one run."""

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import endtoend  # noqa: E402
from emulator.serving import free_port, serve_process  # noqa: E402

BIN = Path(sys.executable).parent
SERVE = [str(BIN / "push-emulator"), "serve"]
SEND_BODY: dict[str, object] = {
    "applicationIds": ["3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"],
    "content": {"title": "Benchmark", "message": "Hello {%= $Contact.first_name %}"},
    "segmentId": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
}
LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer demo-token"
wrk.body = [[%s]]
"""


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux): what a request costs the server,
    far steadier than throughput when other work shares the cores."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk_on(
    server_pid: int, url: str, seconds: int, connections: int, script: Path
) -> dict[str, float]:
    """run_wrk, with the server's CPU time per request answered 2xx as `cpu_us`."""
    before = cpu_seconds(server_pid)
    result = run_wrk(url, seconds, connections, script)
    result["cpu_us"] = (cpu_seconds(server_pid) - before) / max(result["ok"], 1) * 1e6
    return result


def run_wrk(url: str, seconds: int, connections: int, script: Path) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    duration = float(re.search(r"requests in ([\d.]+)s", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    return {
        "requests": total,
        "ok": total - (int(bad.group(1)) if bad else 0),
        "rps": (total - (int(bad.group(1)) if bad else 0)) / duration,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "socket_errors": 0 if errors is None else 1,
        "duration": duration,
    }


# SendTransactionalPush to one contact's every device, with $Current values to render.
TRANSACTIONAL_BODY: dict[str, object] = {
    "contentId": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
    "contactKey": "c-001",
    "sendToAll": True,
    "current": {"bookingId": "B-42", "date": "Friday", "name": "Ada"},
}
# The same send scheduled a year ahead: accepted and stored exactly as the others, but not
# due during the run, so the fan-out is switched off and the accept path is measured alone.
SCHEDULED_BODY: dict[str, object] = {
    **SEND_BODY,
    "scheduleDate": f"{datetime.now(UTC).year + 1}-01-01 00:00",
}
# (label, route, body, fans out during the run): each on a fresh server with its own database.
CASES: list[tuple[str, str, dict[str, object], bool]] = [
    ("emulator send", "/rest/push/sendInstant", SEND_BODY, True),
    ("transactional", "/rest/transactional/push", TRANSACTIONAL_BODY, True),
    ("scheduled", "/rest/push/sendInstant", SCHEDULED_BODY, False),
]


def measure_emulator(
    work: Path,
    label: str,
    route: str,
    body: dict[str, object],
    fans_out: bool,
    args: argparse.Namespace,
) -> tuple[dict[str, float], int, list[str]]:
    """wrk against one emulator route; the result (with the server's CPU time per accepted
    send), how many sends were stored, and the end-to-end lines (under the load, then idle)."""
    script = work / f"{label.replace(' ', '-')}.lua"
    script.write_text(LUA % json.dumps(body))
    port = free_port()
    db = work / f"{label.replace(' ', '-')}.db"
    base = f"http://127.0.0.1:{port}"
    with serve_process(SERVE, port, env=server_env(port, db), cwd=ROOT) as server:
        with endtoend.BacklogSampler(db) as sampler:
            url = f"{base}{route}"
            result = run_wrk_on(server.pid, url, args.seconds, args.connections, script)
        if not fans_out:
            return result, stored_sends(db), ["(not due during the run: the accept path alone)"]
        loaded = endtoend.after_load(db, result["duration"], sampler)
        idle = endtoend.idle_latency(base, db, route, body, args.idle_sends)
    return result, stored_sends(db), [loaded.line(), idle]


def server_env(port: int, db: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """`push-emulator serve`'s environment for one measurement, with its own database."""
    return {
        **os.environ,
        "EMULATOR_PORT": str(port),
        "EMULATOR_DB": str(db),
        # The bench measures the send path, not the bucket: make it effectively unlimited.
        "EMULATOR_RATE_CAPACITY": "1000000000",
        "EMULATOR_RATE_REFILL": "1000000000",
        **(extra or {}),
    }


def stored_sends(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        return int(connection.execute("SELECT COUNT(*) FROM send").fetchone()[0])


def hello_world(args: argparse.Namespace, script: Path) -> dict[str, float]:
    """The baseline: bench/hello.py under the same wrk load (`script`'s body, ignored)."""
    port = free_port()
    hello = [
        str(BIN / "uvicorn"),
        "bench.hello:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with serve_process(hello, port, cwd=ROOT):
        return run_wrk(f"http://127.0.0.1:{port}/", args.seconds, args.connections, script)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--idle-sends", type=int, default=50, help="sends, one at a time, for the idle figure"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="push-bench-"))
    script = work / "hello.lua"
    script.write_text(LUA % json.dumps(SEND_BODY))

    baseline = hello_world(args, script)
    hello_rps = baseline["rps"]
    print(f"hello-world:   {hello_rps:9.0f} req/s   p99 {baseline['p99_ms']:.1f} ms")
    all_committed = True
    cpu: dict[str, float] = {}
    for label, route, body, fans_out in CASES:
        send, stored, end_to_end = measure_emulator(work, label, route, body, fans_out, args)
        cpu[label] = send["cpu_us"]
        # Every 200 wrk saw must be a committed row.
        committed = stored >= send["ok"]
        all_committed = all_committed and committed
        print(
            f"{label + ':':<15}{send['rps']:9.0f} req/s   p99 {send['p99_ms']:.1f} ms   "
            f"({int(send['ok'])} accepted, {stored} rows stored)   "
            f"ratio {send['rps'] / hello_rps:.2f}   every 200 committed: "
            f"{'yes' if committed else 'NO'}   server CPU {send['cpu_us']:.0f} µs/send"
        )
        for line in end_to_end:
            print(f"{'':15}{line}")
    # One core's worth of Python serves both the accept path and the fan-out (one GIL): what
    # the fan-out adds per send bounds the ratio more than any one function on the path.
    fan_out = cpu["emulator send"] - cpu["scheduled"]
    print(
        f"{'':15}fan-out's CPU per send: {fan_out:.0f} µs of {cpu['emulator send']:.0f} "
        f"({fan_out / cpu['emulator send']:.2f}); the accept path alone {cpu['scheduled']:.0f} µs"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if all_committed else 1


if __name__ == "__main__":
    raise SystemExit(main())
