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
from pathlib import Path

from emulator.serving import free_port, serve_process

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SEND_BODY = {
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
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="push-bench-"))
    script = work / "send.lua"
    script.write_text(LUA % json.dumps(SEND_BODY))
    results: dict[str, dict[str, float]] = {}

    hello_port = free_port()
    hello = [
        str(BIN / "uvicorn"),
        "bench.hello:app",
        "--port",
        str(hello_port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with serve_process(hello, hello_port, cwd=ROOT):
        results["hello"] = run_wrk(
            f"http://127.0.0.1:{hello_port}/", args.seconds, args.connections, script
        )

    port = free_port()
    db = work / "bench.db"
    env = {
        **os.environ,
        "EMULATOR_PORT": str(port),
        "EMULATOR_DB": str(db),
        # The bench measures the send path, not the bucket: make it effectively unlimited.
        "EMULATOR_RATE_CAPACITY": "1000000000",
        "EMULATOR_RATE_REFILL": "1000000000",
    }
    url = f"http://127.0.0.1:{port}/rest/push/sendInstant"
    with serve_process([str(BIN / "push-emulator"), "serve"], port, env=env, cwd=ROOT):
        results["emulator"] = run_wrk(url, args.seconds, args.connections, script)

    with sqlite3.connect(db) as connection:
        stored = connection.execute("SELECT COUNT(*) FROM send").fetchone()[0]
    hello_rps, send = results["hello"]["rps"], results["emulator"]
    # Every 200 wrk saw must be a committed row.
    committed = stored >= send["ok"]
    print(f"hello-world:   {hello_rps:9.0f} req/s   p99 {results['hello']['p99_ms']:.1f} ms")
    print(
        f"emulator send: {send['rps']:9.0f} req/s   p99 {send['p99_ms']:.1f} ms   "
        f"({int(send['ok'])} accepted, {stored} rows stored)"
    )
    print(
        f"ratio (accepted sends/s ÷ hello-world req/s): {send['rps'] / hello_rps:.2f}"
        f"   every 200 committed: {'yes' if committed else 'NO'}"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if committed else 1


if __name__ == "__main__":
    raise SystemExit(main())
