"""`push-emulator run -- COMMAND` as a real process: status, environment, export, signals."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.demo import ANDROID_APP
from tests.support.server import CLI, free_port, run_cli

pytestmark = pytest.mark.process

# The user's command, in Python so the test needs no shell: it records what it was given.
RECORD_ENV = """
import json, os, sys
names = ["PUSH_EMULATOR_URL", "DENGAGE_API_URL", "EMULATOR_ADMIN_TOKEN"]
with open(sys.argv[1], "w") as out:
    json.dump({name: os.environ.get(name) for name in names}, out)
sys.exit(int(sys.argv[2]))
"""

SEND_TWICE = f"""
import os, httpx
rest = os.environ["DENGAGE_API_URL"]
push = {{"applicationIds": ["{ANDROID_APP}"], "content": {{"title": "From run"}}}}
auth = {{"Authorization": "Bearer demo-token"}}
ok = httpx.post(rest + "/push/sendInstant", json=push, headers=auth)
assert ok.status_code == 200, ok.text
refused = httpx.post(rest + "/push/sendInstant", json=push)
assert refused.status_code == 401, refused.text
"""

# Announces its emulator, then waits to be stopped.
WAIT_FOR_SIGNAL = """
import os, sys, time
with open(sys.argv[1] + ".tmp", "w") as out:
    out.write(os.environ["PUSH_EMULATOR_URL"])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(120)
"""


def run(*args: str, timeout: float = 60) -> "subprocess.CompletedProcess[str]":
    return run_cli("run", *args, timeout=timeout)


def assert_gone(url: str) -> None:
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/livez", timeout=2)


def test_the_command_gets_both_urls_and_its_status_is_run_s(tmp_path: Path) -> None:
    seen = tmp_path / "env.json"
    result = run("--", sys.executable, "-c", RECORD_ENV, str(seen), "3")
    assert result.returncode == 3, result.stderr
    env = json.loads(seen.read_text())
    url = env["PUSH_EMULATOR_URL"]
    assert url.startswith("http://127.0.0.1:")
    assert env["DENGAGE_API_URL"] == url + "/rest"
    assert env["EMULATOR_ADMIN_TOKEN"] is None
    assert f"emulator at {url}" in result.stderr
    assert_gone(url)


def test_a_successful_command_exits_0(tmp_path: Path) -> None:
    result = run("--", sys.executable, "-c", RECORD_ENV, str(tmp_path / "env.json"), "0")
    assert result.returncode == 0, result.stderr


def test_export_and_journal_are_written_before_the_emulator_stops(tmp_path: Path) -> None:
    export, journal = tmp_path / "sends.ndjson", tmp_path / "journal.ndjson"
    result = run(
        "--export", str(export), "--journal", str(journal), "--", sys.executable, "-c", SEND_TWICE
    )
    assert result.returncode == 0, result.stderr
    sends = [orjson.loads(line) for line in export.read_bytes().splitlines()]
    assert len(sends) == 1
    assert sends[0]["content"]["content"]["title"] == "From run"
    # Written once the fan-out was done: the deliveries are there.
    assert sends[0]["status"] == "Completed"
    assert sends[0]["deliveries"], "the export has the send's deliveries"
    requests = [orjson.loads(line) for line in journal.read_bytes().splitlines()]
    assert [r["status"] for r in requests] == [200, 401]  # oldest first
    assert "1 send(s) written" in result.stderr


def test_serve_settings_apply_and_the_admin_token_reaches_the_command() -> None:
    port = free_port()
    check = (
        "import os, sys, httpx\n"
        "url = os.environ['PUSH_EMULATOR_URL']\n"
        "assert httpx.get(url + '/_emulator/sends').status_code == 401\n"
        "auth = {'Authorization': 'Bearer ' + os.environ['EMULATOR_ADMIN_TOKEN']}\n"
        "assert httpx.get(url + '/_emulator/sends', headers=auth).status_code == 200\n"
        "assert httpx.get(url + '/_emulator/seed', headers=auth).json() == {'seed': 7}\n"
    )
    result = run(
        "--admin-token", "run-secret", "--seed", "7", "--port", str(port),
        "--", sys.executable, "-c", check,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"127.0.0.1:{port}" in result.stderr


def test_a_missing_command_is_127_and_no_command_is_a_usage_error() -> None:
    missing = run("--", "no-such-command-push-emulator")
    assert missing.returncode == 127
    assert "command not found: no-such-command-push-emulator" in missing.stderr
    empty = run()
    assert empty.returncode != 0
    assert "no command given" in empty.stderr


def test_a_bad_setting_is_one_line_and_an_emulator_that_cannot_start_is_125(
    tmp_path: Path,
) -> None:
    bad = run("--rate-capacity", "lots", "--", sys.executable, "-c", "pass")
    assert bad.returncode == 1
    assert "bad setting --rate-capacity / EMULATOR_RATE_CAPACITY=lots" in bad.stderr
    ran = tmp_path / "ran"
    broken = run(
        "--fixtures", str(tmp_path / "nowhere"),
        "--", sys.executable, "-c", f"open({str(ran)!r}, 'w')",
    )  # fmt: skip
    assert broken.returncode == 125
    assert "fixtures folder not found" in broken.stderr
    assert not ran.exists(), "the command does not run without its emulator"


def _started(tmp_path: Path, **popen: object) -> tuple["subprocess.Popen[str]", str]:
    """`run` around a command that waits; returns it once the command has its URL."""
    marker = tmp_path / "url"
    process = subprocess.Popen(
        [*CLI, "run", "--", sys.executable, "-c", WAIT_FOR_SIGNAL, str(marker)],
        stderr=subprocess.PIPE,
        text=True,
        **popen,  # type: ignore[call-overload]
    )
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "the command never started"
        time.sleep(0.05)  # waiting for another process to write a file
    return process, marker.read_text()


def test_sigterm_stops_the_command_and_then_the_emulator(tmp_path: Path) -> None:
    process, url = _started(tmp_path)
    assert httpx.get(f"{url}/readyz").status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) == 128 + signal.SIGTERM
    process.communicate()
    assert_gone(url)


def test_ctrl_c_reaches_the_command_and_the_emulator_is_stopped_after_it(tmp_path: Path) -> None:
    # A terminal's Ctrl-C signals the whole foreground process group: run and its command.
    process, url = _started(tmp_path, start_new_session=True)
    os.killpg(process.pid, signal.SIGINT)
    assert process.wait(timeout=60) == 128 + signal.SIGINT
    process.communicate()
    assert_gone(url)
