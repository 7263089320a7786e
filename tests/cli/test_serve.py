"""The command line: `serve` as a real process, its flags, and one-line start-up errors."""

import json
import signal
import socket
import sqlite3
import subprocess
from pathlib import Path

import httpx
import pytest

from emulator.settings import Settings
from tests.support.demo import ANDROID_APP, PAYLOADS
from tests.support.server import CLI, free_port, run_cli, serving, stop

pytestmark = pytest.mark.process


def test_login_send_and_the_stored_row_through_a_real_server(tmp_path: Path) -> None:
    with serving(tmp_path) as url:
        login = httpx.post(
            f"{url}/rest/login", json={"userkey": "demo-user", "password": "demo-password"}
        )
        assert login.status_code == 200
        token = login.json()["access_token"]
        sent = httpx.post(
            f"{url}/rest/push/sendInstant",
            json={"applicationIds": [ANDROID_APP], "content": {"title": "Hi", "message": "Yo"}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert sent.status_code == 200
        tracking_id = sent.json()["data"]["trackingId"]
        # The 200 promised a commit: the row is there without waiting.
        with sqlite3.connect(tmp_path / "data" / "e.db") as connection:
            rows = connection.execute(
                "SELECT tracking_id, api_user, client_ip, status FROM send"
            ).fetchall()
        # (The dispatcher may already have moved it on; the row is what the 200 promised.)
        [(stored, user, address, status)] = rows
        assert (stored, user, address) == (tracking_id, "demo-user", "127.0.0.1")
        assert status in {"Queued", "Sending", "Completed"}


def test_every_setting_has_a_flag() -> None:
    usage = run_cli("serve", "--help").stdout
    for name in Settings.model_fields:
        assert "--" + name.replace("_", "-") in usage
        assert f"EMULATOR_{name.upper()}" in usage


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        (["--port", "99999"], {}, "bad setting --port / EMULATOR_PORT=99999"),
        (
            ["--rate-capacity", "lots"],
            {},
            "bad setting --rate-capacity / EMULATOR_RATE_CAPACITY=lots",
        ),
        ([], {"EMULATOR_TOKEN_TTL": "0"}, "bad setting --token-ttl / EMULATOR_TOKEN_TTL"),
        (["--max-age", "soon"], {}, "bad setting --max-age / EMULATOR_MAX_AGE"),
        # Set but empty once meant "no authentication" while looking like a token was set.
        (
            [],
            {"EMULATOR_ADMIN_TOKEN": ""},
            "bad setting --admin-token / EMULATOR_ADMIN_TOKEN=: Value error, must not be empty",
        ),
        (["--admin-token", " "], {}, "EMULATOR_ADMIN_TOKEN= : Value error, must not be empty"),
        ([], {"EMULATOR_SEED": str(2**64)}, "bad setting --seed / EMULATOR_SEED"),
        (["--max-header-bytes", "10"], {}, "bad setting --max-header-bytes"),
        (
            ["--fixtures", "/nonexistent/fixtures"],
            {},
            "/nonexistent/fixtures: fixtures folder not found",
        ),
        (
            ["--webhooks", str(PAYLOADS / "webhook_url_not_http.json")],
            {},
            "webhook_url_not_http.json: [0].url: must be an http or https URL",
        ),
        (
            ["--webhook-timeout", "0"],
            {},
            "bad setting --webhook-timeout / EMULATOR_WEBHOOK_TIMEOUT",
        ),
    ],
)
def test_a_bad_start_up_is_one_clear_line(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    result = run_cli("serve", "--db", str(tmp_path / "e.db"), *args, env=env)
    assert result.returncode != 0
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--db", str(tmp_path / "e.db"), "--port", str(port))
    assert result.returncode != 0
    assert f"127.0.0.1:{port} is in use" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_unusable_database_is_one_clear_line(tmp_path: Path) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("not a database" * 200)
    result = run_cli("serve", "--db", str(bad), "--port", str(free_port()))
    assert result.returncode != 0
    assert "cannot be used as the emulator's database" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_default_bind_address_is_loopback() -> None:
    assert Settings().host == "127.0.0.1"


def test_serve_writes_one_ready_line_to_stdout_and_the_ready_file(tmp_path: Path) -> None:
    ready_file = tmp_path / "run" / "ready.json"
    process = subprocess.Popen(
        [
            *CLI,
            "serve",
            "--port",
            "0",
            "--db",
            str(tmp_path / "e.db"),
            "--ready-file",
            str(ready_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # a harness reads stdout alone: no log comes here
        ready = json.loads(line)
        assert ready == {
            "event": "ready",
            "url": f"http://127.0.0.1:{ready['port']}",
            "port": ready["port"],
            "pid": process.pid,
        }
        assert ready["port"] > 0
        # Ready means served: the probe answers at once, no retry needed.
        assert httpx.get(f"{ready['url']}/readyz").status_code == 200
        assert json.loads(ready_file.read_text()) == ready
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == -signal.SIGTERM
        assert process.stdout.read() == ""  # the one line, and nothing else
        assert process.stderr is not None
        assert "Application startup complete" in process.stderr.read()  # logs on stderr
        assert not ready_file.exists()  # withdrawn at shutdown
    finally:
        stop(process)
