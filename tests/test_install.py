"""Installed anywhere, it runs: the wheel in a clean virtualenv, used from another folder."""

import json
import os
import subprocess
import zipfile
from pathlib import Path

import httpx
import pytest

from emulator.push.fixtures import FILES
from tests.support.demo import DEMO, inline_send
from tests.support.server import stop
from tests.support.wheel import Installed

pytestmark = pytest.mark.process

SESSION_SUITE = {
    "conftest.py": """
import httpx
import pytest


@pytest.fixture(scope="session")
def app(push_emulator):
    login = httpx.post(f"{push_emulator.base_url}/login",
                       json={"userkey": "demo-user", "password": "demo-password"})
    token = login.json()["access_token"]
    with httpx.Client(base_url=push_emulator.base_url,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
""",
    "test_installed.py": """
import pytest


@pytest.mark.parametrize("n", range(10))
def test_a_send_per_test(app, push_emulator, n):
    answer = app.post("/push/sendInstant", json={"content": {"title": f"t{n}"}})
    assert answer.status_code == 200
    [only] = push_emulator.client.wait_for_sends()
    assert only["notification"]["title"] == f"t{n}"
    assert only["deliveryCount"] > 0  # the bundled demo devices, found from site-packages
""",
}


def user_env(installed: Installed) -> dict[str, str]:
    """A shell with the venv first on PATH and nothing pointing back at this checkout."""
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "VIRTUAL_ENV"}}
    env["PATH"] = f"{installed.bin}:{env['PATH']}"
    for name in [k for k in env if k.startswith(("EMULATOR_", "PUSH_EMULATOR_"))]:
        del env[name]
    return env


def test_the_wheel_carries_the_demo_fixtures(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    for name in FILES:
        assert f"emulator/demo_account/{name}.json" in names


def test_serve_from_another_folder_finds_the_bundled_fixtures(
    installed: Installed, tmp_path: Path
) -> None:
    process = subprocess.Popen(
        [str(installed.bin / "push-emulator"), "serve", "--port", "0"],
        cwd=tmp_path,  # no fixtures folder here, and no checkout
        env=user_env(installed),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        url = json.loads(line)["url"]
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 200
        assert ready.json()["fixtures"]["api_users"] == 2
        sent = httpx.post(f"{url}/rest/push/sendInstant", json=inline_send(), headers=DEMO)
        assert sent.status_code == 200
    finally:
        stop(process)
    assert (tmp_path / "data" / "emulator.db").exists()  # the default db, under this folder


def test_a_pytest_session_with_the_plugin_from_another_folder(
    installed: Installed, tmp_path: Path
) -> None:
    for name, text in SESSION_SUITE.items():
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [str(installed.bin / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=user_env(installed),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 passed" in result.stdout
