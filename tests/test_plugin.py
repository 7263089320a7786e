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


def sharing_example() -> str:
    section = README.read_text().split("## Sharing one emulator", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README's sharing section has no python example"
    return match.group(1)


def test_the_readme_sharing_example_passes_with_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "test_sharing_example.py").write_text(sharing_example())
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout


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


SESSION_APP = '''
import httpx
import pytest


@pytest.fixture(scope="session")
def app(push_emulator):
    """An app client that logs in once for the whole session, as real suites do."""
    login = httpx.post(
        f"{push_emulator.base_url}/login",
        json={"userkey": "demo-user", "password": "demo-password"},
    )
    token = login.json()["access_token"]
    with httpx.Client(base_url=push_emulator.base_url,
                      headers={"Authorization": f"Bearer {token}"}) as client:
        yield client
'''

TEN_TESTS = """
import pytest

PUSH = {"content": {"title": "hi", "message": "x"}}


@pytest.mark.parametrize("n", range(10))
def test_the_session_client_keeps_working(app, push_emulator, n):
    assert app.post("/push/sendInstant", json=PUSH).status_code == 200
    assert len(push_emulator.client.sends()) == 1  # reset before each test
    if n == 4:
        # Two hours on: the token expires within this test, as the test asked...
        push_emulator.client.clock.advance(7200)
        assert app.post("/push/sendInstant", json=PUSH).status_code == 401
    # ...and the next test runs on real time again, with the same token.
"""


def test_a_session_scoped_app_client_keeps_working_across_ten_tests(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(SESSION_APP)
    (tmp_path / "test_ten.py").write_text(TEN_TESTS)
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "10 passed" in result.stdout


def test_keep_tokens_can_be_turned_off_in_the_ini(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(SESSION_APP)
    (tmp_path / "pytest.ini").write_text("[pytest]\npush_emulator_keep_tokens = false\n")
    # The reset before the first test comes after the session's login, and forgets its token.
    (tmp_path / "test_off.py").write_text(
        "def test_one(app):\n"
        "    push = {'content': {'title': 't'}}\n"
        "    assert app.post('/push/sendInstant', json=push).status_code == 401\n"
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_ini_options_set_strict_mode_seed_and_admin_token(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\n"
        "push_emulator_strict = true\n"
        "push_emulator_seed = 42\n"
        "push_emulator_admin_token = s3cret\n"
    )
    (tmp_path / "test_ini.py").write_text(
        "import httpx\n"
        "def test_settings(push_emulator):\n"
        "    settings = push_emulator.settings\n"
        "    assert settings.strict is True\n"
        "    assert settings.seed == 42\n"
        "    assert settings.admin_token.get_secret_value() == 's3cret'\n"
        "    assert push_emulator.client.get_seed() == 42  # the client carries the token\n"
        "    assert httpx.get(push_emulator.url + '/_emulator/seed').status_code == 401\n"
        "    refused = httpx.post(push_emulator.base_url + '/push/sendInstant',\n"
        "                         json={'content': {'title': 't'}},\n"
        "                         headers={'Authorization': 'Bearer demo-token'})\n"
        "    assert refused.status_code == 400  # strict: no applicationIds is a 400\n"
    )
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_bad_seed_in_the_ini_is_a_usage_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\npush_emulator_seed = many\n")
    (tmp_path / "test_seed.py").write_text("def test_it(push_emulator):\n    pass\n")
    result = run_pytest(tmp_path)
    assert result.returncode != 0
    assert "push_emulator_seed: must be an integer, got 'many'" in result.stdout + result.stderr


def test_push_emulator_settings_is_overridden_in_a_conftest(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import pytest\n"
        "@pytest.fixture(scope='session')\n"
        "def push_emulator_settings(push_emulator_settings):\n"
        "    fixtures = {'api_users': [{'userkey': 'ci', 'password': 'pw',\n"
        "                               'permissions': ['push'], 'tokens': ['ci-token']}]}\n"
        "    return {**push_emulator_settings, 'rate_capacity': 2, 'rate_refill': 0,\n"
        "            'fixtures': fixtures}\n"
    )
    (tmp_path / "test_override.py").write_text(
        "import httpx\n"
        "def test_override(push_emulator):\n"
        "    url = push_emulator.base_url + '/push/sendInstant'\n"
        "    auth = {'Authorization': 'Bearer ci-token'}\n"
        "    codes = [httpx.post(url, json={'content': {'title': 't'}}, headers=auth).status_code\n"
        "             for _ in range(3)]\n"
        "    assert codes == [200, 200, 429]\n"
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
