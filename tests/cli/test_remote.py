"""`push-emulator sends|requests|reset|export` against a running server."""

import signal
import subprocess
from pathlib import Path

import httpx
import orjson
import pytest

from emulator.cli import main
from emulator.testing import RunningEmulator
from tests.support.cli import run
from tests.support.demo import DEMO, TURKISH_SEGMENT, inline_send, payload
from tests.support.server import CLI, free_port, send_to


def test_sends_prints_a_table_and_filters(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = send_to(emulator, content={"title": "Plain one", "message": "m"})
    segment = send_to(emulator, segmentId=TURKISH_SEGMENT, content={"title": "Segment one"})
    out = run(capsys, "sends", "--url", emulator.url)
    header, *rows = out.splitlines()
    assert header.split() == [
        "RECEIVED", "(UTC)", "STATUS", "KIND", "TRACKING", "ID", "API", "USER", "DELIV", "WARN",
        "TITLE",
    ]  # fmt: skip
    assert segment["data"]["trackingId"] in rows[0]
    assert "Segment one" in rows[0]
    assert plain["data"]["trackingId"] in rows[1]
    only = run(capsys, "sends", "--url", emulator.url, "--segment-id", TURKISH_SEGMENT)
    assert "Segment one" in only
    assert "Plain one" not in only
    assert "No sends match." in run(capsys, "sends", "--url", emulator.url, "--text", "nothing")


def test_sends_json(emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    answer = send_to(emulator)
    items = orjson.loads(run(capsys, "sends", "--url", emulator.url, "--json", "--limit", "5"))
    assert [i["transactionId"] for i in items] == [answer["transactionId"]]


def test_requests_lists_the_journal(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    send_to(emulator)
    httpx.post(f"{emulator.base_url}/login", json={"userkey": "x", "password": "y"})
    out = run(capsys, "requests", "--url", emulator.url, "--status", "4xx")
    [row] = out.splitlines()[1:]
    assert "/rest/login" in row
    assert "401" in row
    items = orjson.loads(run(capsys, "requests", "--url", emulator.url, "--json"))
    assert [i["status"] for i in items] == [401, 200]


def test_export_writes_ndjson_with_deliveries(
    emulator: RunningEmulator, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    made = [send_to(emulator)["transactionId"] for _ in range(3)]
    assert main(["export", "--url", emulator.url]) == 0
    lines = capsysbinary.readouterr().out.splitlines()
    exported = [orjson.loads(line) for line in lines]
    assert [e["transactionId"] for e in exported] == made
    assert all("deliveries" in e for e in exported)


def test_reset_clears_the_server(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    send_to(emulator)
    assert run(capsys, "reset", "--url", emulator.url).strip() == f"reset {emulator.url}"
    assert emulator.client.sends() == []


def test_the_url_defaults_to_push_emulator_url_then_emulator_port(
    emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port = emulator.url.rsplit(":", 1)[1]
    monkeypatch.setenv("EMULATOR_PORT", port)
    assert run(capsys, "reset").strip() == f"reset http://127.0.0.1:{port}"
    monkeypatch.setenv("PUSH_EMULATOR_URL", emulator.url)
    monkeypatch.setenv("EMULATOR_PORT", "9")
    assert run(capsys, "reset").strip() == f"reset {emulator.url}"


def test_a_wrong_admin_token_or_no_server_is_one_line(emulator: RunningEmulator) -> None:
    with pytest.raises(
        SystemExit, match=r"http://127\.0\.0\.1:\d+ answered HTTP 401: The emulator's admin token"
    ):
        main(["sends", "--url", emulator.url, "--admin-token", "wrong"])
    for command in ("reset", "sends", "wait", "faults", "clock", "tail", "show x", "send"):
        with pytest.raises(
            SystemExit, match=r"cannot reach the emulator at http://127\.0\.0\.1:9: "
        ):
            main([*command.split(), "--url", "http://127.0.0.1:9"])


@pytest.mark.process
def test_a_served_process_with_an_open_event_stream_stops_on_sigterm(tmp_path: Path) -> None:
    # `serve` must end open streams itself: uvicorn alone would wait for them forever.
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--db", str(tmp_path / "e.db")],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None
        # The banner comes once the socket listens; connections made now wait to be served.
        assert "base URL" in process.stderr.readline()
        url = f"http://127.0.0.1:{port}/_emulator/events"
        # Shorter than the keep-alive interval: a stream left open fails the test, not hangs it.
        with httpx.stream("GET", url, timeout=10) as response:
            lines = response.iter_lines()
            assert next(lines) == ": connected"
            process.send_signal(signal.SIGTERM)
            assert [line for line in lines if line] == []  # the stream ends cleanly
        # uvicorn re-raises the signal after a graceful shutdown, hence -SIGTERM.
        assert process.wait(timeout=20) == -signal.SIGTERM
        assert "Finished server process" in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()


def test_limit_pages_past_500(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.client.rate_limits.set(default={"capacity": 10**6, "refillPerSecond": 10**6})
    with httpx.Client(base_url=emulator.base_url, headers=DEMO) as app:
        for _ in range(510):
            assert app.post("/push/sendInstant", json=inline_send()).status_code == 200
    items = orjson.loads(run(capsys, "sends", "--url", emulator.url, "--json", "--limit", "505"))
    assert len(items) == 505
    assert (
        len(
            orjson.loads(run(capsys, "requests", "--url", emulator.url, "--json", "--limit", "600"))
        )
        == 510
    )


def test_short_tracking_ids_are_accepted_where_unique(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    tracking = send_to(emulator)["data"]["trackingId"]
    send_to(emulator)
    shown = orjson.loads(run(capsys, "show", "--url", emulator.url, tracking[:8]))
    assert shown["trackingId"] == tracking
    assert "deliveries" in shown
    rows = run(capsys, "sends", "--url", emulator.url, "--tracking-id", tracking[:8]).splitlines()
    assert len(rows) == 2  # the header and the one send
    assert tracking in rows[1]


def test_reset_keep_tokens(emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    login = httpx.post(
        f"{emulator.base_url}/login", json={"userkey": "demo-user", "password": "demo-password"}
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    run(capsys, "reset", "--url", emulator.url, "--keep-tokens")
    url = f"{emulator.base_url}/push/sendInstant"
    assert httpx.post(url, json=inline_send(), headers=auth).status_code == 200
    run(capsys, "reset", "--url", emulator.url)
    assert httpx.post(url, json=inline_send(), headers=auth).status_code == 401


def test_sends_filters_by_kind(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    send_to(emulator)
    pushed = httpx.post(
        f"{emulator.base_url}/transactional/push",
        content=payload("transactional/contact_send_to_all.json"),
        headers=DEMO,
    ).json()
    tx_tracking = pushed["data"]["trackingIds"][0]
    out = run(capsys, "sends", "--url", emulator.url, "--kind", "transactional")
    [row] = out.splitlines()[1:]
    assert tx_tracking in row
    assert " transactional " in row
    listed = orjson.loads(
        run(capsys, "sends", "--url", emulator.url, "--kind", "instant", "--json")
    )
    assert [item["kind"] for item in listed] == ["instant"]
