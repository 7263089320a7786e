"""The pytest plugin, used from a test file exactly as the README shows, in a fresh pytest."""

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"

ISOLATION = """
import httpx

def test_a_send(push_emulator):
    push = {"content": {"title": "one", "message": "x"}}
    r = httpx.post(f"{push_emulator.base_url}/push/sendInstant", json=push,
                   headers={"Authorization": "Bearer demo-token"})
    assert r.status_code == 200
    assert len(push_emulator.client.sends()) == 1

def test_the_next_test_starts_clean(push_emulator):
    assert push_emulator.client.sends() == []
    assert push_emulator.client.requests() == []

def test_the_session_shares_one_server(push_emulator, request):
    assert request.getfixturevalue("push_emulator") is push_emulator
"""


def readme_example() -> str:
    section = README.read_text().split("## Use from pytest", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README's pytest section has no python example"
    return match.group(1)


def run_pytest(folder: Path) -> subprocess.CompletedProcess[str]:
    # A separate pytest, found the way a user's is: through the installed entry point.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_readme_example_is_five_lines() -> None:
    lines = [line for line in readme_example().splitlines() if line.strip()]
    assert len(lines) == 5


def test_the_readme_example_passes_with_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_readme_example.py").write_text(readme_example())
    (tmp_path / "test_isolation.py").write_text(ISOLATION)
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_a_failing_expectation_fails_the_users_test(tmp_path: Path) -> None:
    broken = readme_example().replace("== push", '== {"content": {}}')
    (tmp_path / "test_broken.py").write_text(broken)
    result = run_pytest(tmp_path)
    assert result.returncode == 1
    assert "1 failed" in result.stdout


def test_the_ini_option_names_the_session_fixtures(tmp_path: Path) -> None:
    (tmp_path / "fx").mkdir()
    (tmp_path / "fx" / "api_users.json").write_text(
        '[{"userkey": "ci", "password": "pw", "permissions": ["push"]}]'
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\npush_emulator_fixtures = fx\n")
    (tmp_path / "test_fx.py").write_text(
        "def test_fx(push_emulator):\n"
        "    users = push_emulator.client.fixtures()['api_users']\n"
        "    assert [u['userkey'] for u in users] == ['ci']\n"
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


OUTCOMES = """
import httpx
import pytest

IOS = "99d9b8fb-0c62-5a85-3e43-2402554d93a5"
AUTH = {"Authorization": "Bearer demo-token"}


def send_to_ios(push_emulator):
    push = {"applicationIds": [IOS], "content": {"title": "Hi"}}
    r = httpx.post(f"{push_emulator.base_url}/push/sendInstant", json=push, headers=AUTH)
    [done] = push_emulator.client.wait_for_sends()
    return push_emulator.client.send(done["trackingId"])["deliveries"]


@pytest.mark.push_outcomes({"match": {"platform": "ios"}, "outcome": "throttled"})
def test_a_marked_test_gets_its_rules(push_emulator):
    assert {d["reason"] for d in send_to_ios(push_emulator)} == {"429 TooManyRequests"}


def test_the_next_test_has_none_and_the_fixtures_devices(push_emulator):
    push_emulator.client.update_device("apns-lena-iphone13", status="unregistered")
    assert push_emulator.client.outcomes() == []
    assert {d["outcome"] for d in send_to_ios(push_emulator)} == {"delivered", "unregistered"}


def test_and_the_device_is_back(push_emulator):
    assert push_emulator.client.device("apns-lena-iphone13")["status"] == "active"
"""


def test_the_push_outcomes_marker_sets_rules_for_one_test(tmp_path: Path) -> None:
    (tmp_path / "test_outcomes.py").write_text(OUTCOMES)
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n")
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
