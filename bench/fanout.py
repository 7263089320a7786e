"""Fan-out benchmark: deliveries/s for a 100,000-device send, and send latency meanwhile; plain,
and with devices failing in mixed ways and a 30 % open rate."""

import argparse
import asyncio
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from emulator.fanout.dispatcher import CHUNK_SIZE  # noqa: E402
from emulator.fanout.outcomes import OUTCOME_NAMES  # noqa: E402
from emulator.push.accept import accept_send  # noqa: E402
from emulator.runtime import Runtime  # noqa: E402
from emulator.serving import free_port, serve_process  # noqa: E402
from emulator.settings import Settings  # noqa: E402
from emulator.storage.rows import insert_send  # noqa: E402
from emulator.storage.tables import COMPLETED  # noqa: E402

BIG_APP = "0a0b0c0d-0000-4000-8000-000000000001"
SMALL_APP = "0a0b0c0d-0000-4000-8000-000000000002"
TABLE = "0a0b0c0d-0000-4000-8000-0000000000aa"
TOKEN = "bench-token"  # noqa: S105 - a fixture token of the throw-away bench server
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
TARGET_PER_SECOND = 20_000
LANGUAGES = ["EN", "TR", "DE", "FR"]
DEVICE_TYPES = ["Android Phone", "Android Tablet"]
# The mixed variant: one device in ten fails, each failure outcome in turn, and 30 % of the
# delivered pushes are opened (at once: the open is written with the delivery).
FAILURES = [name for name in OUTCOME_NAMES if name != "delivered"]
FAILING_SHARE = 10
OPEN_RATE = 0.3

# A realistic send: per-language content with every personalisation form in it.
BIG_SEND = {
    "applicationIds": [BIG_APP],
    "tableId": TABLE,
    "multiLangContent": {
        "defaultLanguage": "EN",
        "contents": [
            {
                "language": "EN",
                "title": "Hi {%= $Contact.first_name || 'friend' %}!",
                "message": "{% if ($Contact.city) { %}Sale in {%= $Contact.city %}{% } else { %}"
                "Sale near you{% } %}",
                "targetUrl": "https://shop.example.com/sale",
            },
            {
                "language": "TR",
                "title": "Merhaba {%= $Contact.first_name %}!",
                "message": "İndirim başladı.",
                "targetUrl": "https://shop.example.com/tr/sale",
            },
            {
                "language": "DE",
                "title": "Hallo {%= $Contact.first_name %}!",
                "message": "Schlussverkauf.",
            },
        ],
    },
}
SMALL_SEND = {"applicationIds": [SMALL_APP], "content": {"title": "ping", "message": "pong"}}


def write_fixtures(folder: Path, devices: int, mixed: bool = False) -> None:
    """A bench user with a bucket that never refuses, one big application and one tiny one;
    `mixed`: failing devices and an open rate on the big application."""
    folder.mkdir(parents=True)
    users = [
        {
            "userkey": "bench-user",
            "password": "bench-password",
            "permissions": ["push"],
            "tokens": [TOKEN],
            "rateLimit": {"capacity": 1_000_000, "refillPerSecond": 1_000_000},
        }
    ]
    big: dict[str, Any] = {"id": BIG_APP, "name": "Bench Android", "platform": "android"}
    if mixed:
        big["openRate"] = OPEN_RATE
    applications = [big, {"id": SMALL_APP, "name": "Bench tiny", "platform": "ios"}]
    contacts: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for i in range(devices):
        key = f"c-{i:06d}"
        contact: dict[str, Any] = {"contactKey": key, "first_name": f"Name{i}"}
        if i % 3:
            contact["city"] = f"City{i % 50}"
        contacts.append(contact)
        device = {
            "token": f"fcm-{i:06d}",
            "applicationId": BIG_APP,
            "contactKey": key,
            "language": LANGUAGES[i % len(LANGUAGES)],
            "engaged": i % 2 == 0,
            "deviceType": DEVICE_TYPES[i % 2],
            "status": "unregistered" if i % 100 == 0 else "active",
        }
        if mixed and i % FAILING_SHARE == 5:
            device["outcome"] = FAILURES[(i // FAILING_SHARE) % len(FAILURES)]
        rows.append(device)
    rows.append({"token": "apns-tiny", "applicationId": SMALL_APP, "status": "active"})
    files = {
        "api_users": users,
        "applications": applications,
        "tables": [{"id": TABLE, "name": "Bench contacts", "contacts": contacts}],
        "devices": rows,
    }
    for name, records in files.items():
        (folder / f"{name}.json").write_bytes(orjson.dumps(records))


def in_process(settings: Settings, rounds: int) -> dict[str, Any]:
    """Fan-out alone: the dispatcher thread of an in-process runtime, no HTTP in between."""
    started = time.perf_counter()
    runtime = Runtime.start(settings)
    runtime.dispatcher.start()
    start_seconds = time.perf_counter() - started
    timings: list[float] = []
    outcomes: dict[str, int] = {}
    try:
        for _ in range(rounds):
            context = runtime.send_context("bench-user", "127.0.0.1")
            accepted = accept_send(orjson.dumps(BIG_SEND), context)
            started = time.perf_counter()
            row = accepted.row
            send_id = runtime.writer.run_sync(lambda c: insert_send(c, row))  # noqa: B023
            runtime.dispatcher.wake()
            assert runtime.dispatcher.wait_idle(timeout=600)
            timings.append(time.perf_counter() - started)
            with runtime.engine.connect() as connection:
                status, count = connection.exec_driver_sql(
                    "SELECT status, delivery_count FROM send WHERE id = ?", (send_id,)
                ).one()
                outcomes = dict(
                    connection.exec_driver_sql(
                        "SELECT outcome, count(*) FROM delivery WHERE send_id = ? GROUP BY outcome",
                        (send_id,),
                    ).all()
                )
                outcomes["opened"] = connection.exec_driver_sql(
                    "SELECT count(*) FROM delivery WHERE send_id = ? AND opened_at IS NOT NULL",
                    (send_id,),
                ).scalar_one()
            assert status == COMPLETED, status
    finally:
        runtime.close()
    return {
        "deliveries": count,
        "timings": timings,
        "start_seconds": start_seconds,
        "outcomes": outcomes,
    }


@contextmanager
def server(settings: Settings, port: int) -> Iterator[str]:
    command = [
        str(Path(sys.executable).parent / "push-emulator"),
        "serve",
        "--port",
        str(port),
        "--db",
        str(settings.db),
        "--fixtures",
        str(settings.fixtures),
        "--open-window",
        str(settings.open_window),
    ]
    # 100,000 devices take a while to load and index before the server is ready.
    with serve_process(command, port, timeout=120):
        yield f"http://127.0.0.1:{port}"


async def small_sends(
    client: httpx.AsyncClient,
    stop: asyncio.Event,
    latencies: list[float],
    rate: float,
    tracking_ids: list[str] | None = None,
) -> None:
    """Open loop: a small send every 1/rate s, each timed on its own, whatever the server does;
    their tracking ids kept in `tracking_ids`, for the time each took to complete."""
    body = orjson.dumps(SMALL_SEND)

    async def one() -> None:
        started = time.perf_counter()
        response = await client.post("/rest/push/sendInstant", content=body, headers=HEADERS)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        if tracking_ids is not None:
            tracking_ids.append(response.json()["data"]["trackingId"])

    tasks: list[asyncio.Task[None]] = []
    started = time.perf_counter()
    while not stop.is_set():
        tasks.append(asyncio.create_task(one()))
        next_at = started + len(tasks) / rate
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    await asyncio.gather(*tasks)


async def over_http(base: str, rate: float, idle_seconds: float, rounds: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        # Baseline: the same small sends with nothing else going on.
        idle: list[float] = []
        stop = asyncio.Event()
        task = asyncio.create_task(small_sends(client, stop, idle, rate))
        await asyncio.sleep(idle_seconds)
        stop.set()
        await task

        # Each round: the big send, then small sends until its report exists (Completed).
        busy: list[float] = []
        busy_ids: list[str] = []
        accepted_ms: list[float] = []
        tracking_ids: list[str] = []
        deliveries = 0
        for _ in range(rounds):
            started = time.perf_counter()
            response = await client.post(
                "/rest/push/sendInstant", content=orjson.dumps(BIG_SEND), headers=HEADERS
            )
            assert response.status_code == 200, response.text
            accepted_ms.append((time.perf_counter() - started) * 1000)
            tracking_id = response.json()["data"]["trackingId"]
            stop = asyncio.Event()
            task = asyncio.create_task(small_sends(client, stop, busy, rate, busy_ids))
            params = {"trackingId": tracking_id, "applicationId": BIG_APP}
            while True:
                report = await client.get("/rest/push/sendInstant", params=params, headers=HEADERS)
                if report.status_code == 200:
                    break
                assert report.status_code == 404, report.text
                await asyncio.sleep(0.05)
            stop.set()
            await task
            data = report.json()["data"]
            deliveries = sum(data[f"total{k}Count"] for k in ("Delivered", "Bounce", "Error"))
            opens = data["totalOpenCount"]
            tracking_ids.append(tracking_id)
    return {
        "tracking_ids": tracking_ids,
        "big_send_accepted_ms": max(accepted_ms),
        "deliveries": deliveries,
        "opens": opens,
        "idle": idle,
        "busy": busy,
        "busy_ids": busy_ids,
    }


def fanout_seconds(db: Path, tracking_id: str) -> float:
    """Acceptance to completion as the server itself recorded them: no polling error."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as connection:
        received, completed = connection.execute(
            "SELECT received_at, completed_at FROM send WHERE tracking_id = ?", (tracking_id,)
        ).fetchone()
    return (datetime.fromisoformat(completed) - datetime.fromisoformat(received)).total_seconds()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def describe(values: list[float]) -> str:
    return (
        f"n={len(values)}, p50 {statistics.median(values):.1f} ms, "
        f"p99 {percentile(values, 99):.1f} ms, max {max(values):.1f} ms"
    )


def write_report(path: Path, text: str) -> None:
    """Replace the "## Fan-out" section of docs/PERFORMANCE.md, keeping any other section."""
    existing = path.read_text() if path.exists() else "# Performance\n"
    lines = existing.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "## Fan-out"), None)
    if start is None:
        kept = existing.rstrip("\n") + "\n\n" + text
    else:
        end = next(
            (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines)
        )
        after = ["", *lines[end:]] if end < len(lines) else []
        kept = "\n".join([*lines[:start], text.rstrip("\n"), *after]) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(kept if kept.endswith("\n") else kept + "\n")


def run_variant(folder: Path, args: argparse.Namespace, mixed: bool) -> dict[str, Any]:
    """Both measures for one fixture set: in process, then a real server under load."""
    write_fixtures(folder / "fixtures", args.devices, mixed)
    # Opens at once (a window of 0): the open is written with the delivery, inside the
    # fan-out measured, rather than settled an hour later outside it.
    local = Settings(db=folder / "in-process.db", fixtures=folder / "fixtures", open_window=0)
    alone = in_process(local, args.rounds)
    remote = local.model_copy(update={"db": folder / "server.db"})
    with server(remote, free_port()) as base:
        result = asyncio.run(over_http(base, args.rate, args.idle_seconds, args.rounds))
    served = [fanout_seconds(remote.db, t) for t in result["tracking_ids"]]
    # The small sends accepted during the fan-outs: how long until each was Completed.
    result["busy_completed"] = [fanout_seconds(remote.db, t) * 1000 for t in result["busy_ids"]]
    alone_seconds = statistics.median(alone["timings"])
    served_seconds = statistics.median(served)
    return {
        "alone": alone,
        "alone_seconds": alone_seconds,
        "alone_rate": alone["deliveries"] / alone_seconds,
        "result": result,
        "served": served,
        "served_seconds": served_seconds,
        "served_rate": result["deliveries"] / served_seconds,
    }


def _rounds(timings: list[float]) -> str:
    return ", ".join(f"{seconds:.2f} s" for seconds in timings)


def _outcomes(counts: dict[str, int]) -> str:
    failed = {k: v for k, v in counts.items() if k not in {"delivered", "opened"}}
    listed = ", ".join(f"{n:,} {name}" for name, n in sorted(failed.items()))
    return f"{counts.get('delivered', 0):,} delivered ({counts['opened']:,} opened); {listed}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--devices", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=50, help="small sends per second")
    parser.add_argument("--idle-seconds", type=float, default=5, help="baseline duration")
    parser.add_argument("--rounds", type=int, default=3, help="big sends per measure")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="push-emulator-bench-"))
    try:
        plain = run_variant(folder / "plain", args, mixed=False)
        mixed = run_variant(folder / "mixed", args, mixed=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    ok = all(min(v["alone_rate"], v["served_rate"]) >= TARGET_PER_SECOND for v in (plain, mixed))
    verdict = "met" if ok else "MISSED"

    def both(figure: Any) -> tuple[str, str]:
        return figure(plain), figure(mixed)

    rows = [
        (
            f"fan-out, in-process dispatcher alone (median of {args.rounds} rounds)",
            *both(
                lambda v: (
                    f"{v['alone']['deliveries']:,} in {v['alone_seconds']:.2f} s = "
                    f"**{v['alone_rate']:,.0f} deliveries/s** ({_rounds(v['alone']['timings'])})"
                )
            ),
        ),
        ("outcomes of the last round", *both(lambda v: _outcomes(v["alone"]["outcomes"]))),
        (
            "start-up: load and index the fixtures",
            *both(lambda v: f"{v['alone']['start_seconds']:.2f} s (once, before serving)"),
        ),
        (
            f"fan-out, `push-emulator serve`, {args.rate:g} small sends/s meanwhile "
            f"(median of {args.rounds} rounds)",
            *both(
                lambda v: (
                    f"{v['result']['deliveries']:,} in {v['served_seconds']:.2f} s = "
                    f"**{v['served_rate']:,.0f} deliveries/s** ({_rounds(v['served'])})"
                )
            ),
        ),
        (
            "the report's totalOpenCount (last round)",
            *both(lambda v: f"{v['result']['opens']:,}"),
        ),
        (
            "the big send's own answer (slowest)",
            *both(lambda v: f"{v['result']['big_send_accepted_ms']:.1f} ms"),
        ),
        (
            f"small sends, idle server ({args.rate:g}/s)",
            *both(lambda v: describe(v["result"]["idle"])),
        ),
        (
            f"small sends during the fan-out ({args.rate:g}/s)",
            *both(lambda v: describe(v["result"]["busy"])),
        ),
        (
            "the same small sends, 200 → Completed",
            *both(lambda v: describe(v["result"]["busy_completed"])),
        ),
    ]
    for measure, first, second in rows:
        print(
            f"{measure}:\n  plain: {first.replace('**', '')}\n  mixed: {second.replace('**', '')}"
        )
    print(f"target {TARGET_PER_SECOND:,} deliveries/s: {verdict}")
    if not args.no_write:
        command = "`" + " ".join([".venv/bin/python bench/fanout.py", *sys.argv[1:]]) + "`"
        table = "\n".join(f"| {m} | {a} | {b} |" for m, a, b in rows)
        text = FANOUT_SECTION.format(
            when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            cores=os.cpu_count(),
            command=command,
            devices=args.devices,
            table=table,
            target=TARGET_PER_SECOND,
            verdict=verdict,
            chunk=CHUNK_SIZE,
            share=100 // FAILING_SHARE,
            failures=", ".join(FAILURES),
            open_rate=round(OPEN_RATE * 100),
        )
        write_report(ROOT / "docs" / "PERFORMANCE.md", text)
    return 0 if ok else 1


FANOUT_SECTION = """## Fan-out

Measured {when} on this machine ({cores} cores, shared with other work) with
{command}. The benchmark writes {devices:,} devices (one contact each, four languages,
1% unregistered) to a temporary fixtures folder and sends them one multi-language push that
uses every personalisation form. It times the fan-out twice: in an in-process runtime, and in
a real `push-emulator serve` process on a free port (acceptance to completion, as the server
recorded them) while small sends (one device each, fanned out too) arrive at a steady rate
from an httpx client; their latency is compared with the same load on an idle server, and
the time each took from its acceptance to Completed (as the server recorded them) is the
issue 16 target: p99 ≤ 100 ms while the big send fans out.

Each measure runs twice, side by side in one run: on the plain devices, and on the mixed
variant, where {share} % of the devices fail ({failures}, in turn)
and the application opens {open_rate} % of the delivered pushes (`openRate`, with
`EMULATOR_OPEN_WINDOW=0` so each open is written with its delivery, inside the time
measured). Token clean-up is on, as by default: after the first round the devices that came
back unregistered or invalid are unregistered, so later rounds rebuild the audience index's
device lists and fail them as `unregistered`.

| measure | plain | mixed: {share} % failing, {open_rate} % opened |
| --- | --- | --- |
{table}

Target: at least {target:,} deliveries/s, {verdict}. Deliveries are written in chunks of
{chunk:,} rows per writer operation, one chunk at a time, so sends accepted during a fan-out
commit between chunks; the big send's own 200 leaves before its fan-out starts.
"""


if __name__ == "__main__":
    raise SystemExit(main())
