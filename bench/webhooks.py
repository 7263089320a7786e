"""Metrics and webhooks on the send's path: sends/s, p99 and the server's CPU per send with
both off, against metrics on and webhooks to a receiver that answers in 2 s (and a dead one),
alternating, after one hello-world run; `make bench` runs it."""

import argparse
import http.server
import json
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import median

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    LUA,
    SEND_BODY,
    SERVE,
    hello_world,
    run_wrk_on,
    server_env,
    stored_sends,
)
from emulator.serving import free_port, serve_process  # noqa: E402

RECEIVER_SECONDS = 2.0


@contextmanager
def slow_receiver(seconds: float = RECEIVER_SECONDS) -> Iterator[str]:
    """A webhook receiver that answers every POST after `seconds`; yields its URL."""

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            time.sleep(seconds)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/hook"


def measure_emulator(
    work: Path, name: str, extra_env: dict[str, str], args: argparse.Namespace, script: Path
) -> tuple[dict[str, float], int, str]:
    """wrk against a fresh `push-emulator serve`; its result (with the server's CPU time per
    accepted send), stored sends, and /metrics."""
    port = free_port()
    db = work / f"{name}.db"
    env = server_env(port, db, extra_env)
    url = f"http://127.0.0.1:{port}/rest/push/sendInstant"
    metrics = ""
    with serve_process(SERVE, port, env=env, cwd=ROOT) as server:
        result = run_wrk_on(server.pid, url, args.seconds, args.connections, script)
        if extra_env.get("EMULATOR_METRICS") == "true":
            metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text
    return result, stored_sends(db), metrics


def webhook_figures(metrics: str) -> str:
    found = dict(
        (m.group(1), float(m.group(2)))
        for m in re.finditer(r"^(push_emulator_webhook_\S+) ([\d.e+]+)$", metrics, re.M)
    )
    attempts = {
        result: int(found.get(f'push_emulator_webhook_attempts_total{{result="{result}"}}', 0))
        for result in ("delivered", "failed", "gave_up")
    }
    dropped = int(found.get("push_emulator_webhook_events_dropped_total", 0))
    return f"webhook attempts {attempts}, events dropped {dropped}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument(
        "--rounds", type=int, default=3, help="off/on pairs, alternating, after one hello-world"
    )
    parser.add_argument(
        "--variants",
        default="off,on",
        help="comma-separated, of off, metrics, webhooks, on (both); on/off quotients need both",
    )
    args = parser.parse_args()
    wanted = args.variants.split(",")
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="push-bench-"))
    script = work / "send.lua"
    script.write_text(LUA % json.dumps(SEND_BODY))
    hello = hello_world(args, script)
    hello_rps = hello["rps"]
    print(f"hello-world:   {hello_rps:9.0f} req/s   p99 {hello['p99_ms']:.1f} ms")
    committed = True
    with slow_receiver() as slow:
        webhooks = work / "webhooks.json"
        webhooks.write_text(json.dumps([{"url": slow, "events": ["*"]}, {"url": dead_url()}]))
        variants = {
            "off": ("metrics and webhooks off", {}),
            "metrics": ("metrics on, no webhooks", {"EMULATOR_METRICS": "true"}),
            "webhooks": (
                "webhooks on (as below), metrics off",
                {"EMULATOR_METRICS": "false", "EMULATOR_WEBHOOKS": str(webhooks)},
            ),
            "on": (
                f"metrics on, webhooks to a {RECEIVER_SECONDS:g} s receiver and a dead one",
                {"EMULATOR_METRICS": "true", "EMULATOR_WEBHOOKS": str(webhooks)},
            ),
        }
        figures: dict[str, list[dict[str, float]]] = {key: [] for key in wanted}
        for round_number in range(1, args.rounds + 1):
            for key in wanted:
                label, extra_env = variants[key]
                name = f"{key}-{round_number}"
                send, stored, metrics = measure_emulator(work, name, extra_env, args, script)
                figures[key].append(send)
                # Every 200 wrk saw must be a committed row.
                committed = committed and stored >= send["ok"]
                print(
                    f"[{round_number}] {label}: {send['rps']:9.0f} sends/s   "
                    f"p99 {send['p99_ms']:.1f} ms   ratio {send['rps'] / hello_rps:.2f}   "
                    f"server CPU {send['cpu_us']:.0f} µs/send   "
                    f"({int(send['ok'])} accepted, {stored} rows stored)"
                )
                if "EMULATOR_WEBHOOKS" in extra_env and metrics:
                    print(f"    {webhook_figures(metrics)}")
    for key, runs in figures.items():
        print(
            f"{key:>3}: median {median(r['rps'] for r in runs):.0f} sends/s "
            f"(ratio {median(r['rps'] for r in runs) / hello_rps:.2f}), "
            f"p99 {median(r['p99_ms'] for r in runs):.1f} ms, "
            f"CPU {median(r['cpu_us'] for r in runs):.0f} µs/send"
        )
    print(f"every 200 committed: {'yes' if committed else 'NO'}")
    if not {"on", "off"} <= set(figures):
        shutil.rmtree(work, ignore_errors=True)
        return 0 if committed else 1
    # Each round's on and off ran back to back, so their quotients share that round's load.
    pairs = list(zip(figures["on"], figures["off"], strict=True))
    print(
        "on ÷ off, median of the rounds: "
        f"throughput {median(on['rps'] / off['rps'] for on, off in pairs):.2f}, "
        f"p99 {median(on['p99_ms'] / off['p99_ms'] for on, off in pairs):.2f}, "
        f"CPU per send {median(on['cpu_us'] / off['cpu_us'] for on, off in pairs):.2f}"
    )
    shutil.rmtree(work, ignore_errors=True)
    return 0 if committed else 1


if __name__ == "__main__":
    raise SystemExit(main())
