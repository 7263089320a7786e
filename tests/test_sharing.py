"""One emulator, many tests at once: per-test API users, scoped clients, the plugin's
`push_emulator_user`, an emulator already running, pytest-xdist, and `users` in the CLI."""

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.cli import main
from emulator.client import EmulatorClient, EmulatorError
from emulator.testing import RunningEmulator, connect_emulator, new_api_user, run_emulator
from tests.support.demo import DEMO, inline_send


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    # Buckets out of the way: twenty threads send at once.
    with run_emulator(rate_capacity=10**6, rate_refill=10**6) as running:
        yield running


def send(base_url: str, headers: dict[str, str], title: str) -> dict[str, Any]:
    body = inline_send(content={"title": title, "message": "m"})
    answer = httpx.post(f"{base_url}/push/sendInstant", json=body, headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_a_scoped_client_reads_waits_and_clears_one_users_sends(
    emulator: RunningEmulator,
) -> None:
    with new_api_user(emulator) as mine, new_api_user(emulator) as theirs:
        send(emulator.base_url, mine.headers, "mine")
        send(emulator.base_url, theirs.headers, "theirs")
        assert [s["apiUser"] for s in mine.client.wait_for_sends(count=1)] == [mine.userkey]
        assert [s["apiUser"] for s in mine.client.sends()] == [mine.userkey]
        assert mine.client.last_send()["apiUser"] == mine.userkey
        assert {r["apiUser"] for r in mine.client.requests()} == {mine.userkey}
        assert [s["apiUser"] for s in mine.client.export()] == [mine.userkey]
        theirs_id = theirs.client.last_send()["transactionId"]
        with pytest.raises(EmulatorError, match="404"):
            mine.client.send(theirs_id)  # another user's send is not found through mine
        assert mine.client.clear_sends() == 1
        assert mine.client.clear_requests() == 1
        assert [s["apiUser"] for s in theirs.client.sends()] == [theirs.userkey]
        with pytest.raises(ValueError, match="scoped to API user"):
            mine.client.sends(api_user=theirs.userkey)
        with pytest.raises(TypeError, match="would clear every user's data"):
            mine.client.reset()
    # Leaving the block removed both users and purged what they sent.
    assert emulator.client.sends(api_user=mine.userkey) == []
    assert mine.userkey not in [u["userkey"] for u in emulator.client.users()]


def test_twenty_threads_each_see_exactly_their_own_sends(emulator: RunningEmulator) -> None:
    seen: dict[str, list[str]] = {}
    kept: dict[str, int] = {}
    errors: list[BaseException] = []
    start = threading.Barrier(20)

    def one_test(index: int) -> None:
        try:
            with new_api_user(emulator) as user:
                start.wait(30)  # every thread sends at the same time
                titles = [f"{user.userkey}-{n}" for n in range(5)]
                for title in titles:
                    send(emulator.base_url, user.headers, title)
                done = user.client.wait_for_sends(count=5, timeout=60)
                seen[user.userkey] = sorted(s["notification"]["title"] for s in done)
                assert seen[user.userkey] == sorted(titles)
                if index % 2 == 0:
                    user.client.clear_sends()  # half of them clear their own mid-run
                    kept[user.userkey] = len(user.client.sends())
                else:
                    start_again = user.client.sends()
                    kept[user.userkey] = len(start_again)
        except BaseException as error:  # reported below, with the thread's own failure
            errors.append(error)

    threads = [threading.Thread(target=one_test, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(seen) == 20
    # Each saw its five, and nothing of another's; a clear took only the clearer's own.
    for userkey, titles in seen.items():
        assert all(title.startswith(userkey) for title in titles)
    assert sorted(kept.values()) == [0] * 10 + [5] * 10


def test_connect_emulator_uses_one_already_running(emulator: RunningEmulator) -> None:
    with connect_emulator(emulator.url) as connected:
        assert connected.base_url == emulator.base_url
        assert not hasattr(connected, "runtime")
        with new_api_user(connected) as user:
            send(connected.base_url, user.headers, "through a connection")
            assert len(user.client.wait_for_sends()) == 1


PLUGIN_TESTS = """
import httpx

def send(base_url, headers, title):
    body = {"content": {"title": title, "message": "x"}}
    r = httpx.post(f"{base_url}/push/sendInstant", json=body, headers=headers)
    assert r.status_code == 200

def test_mine(push_emulator, push_emulator_user):
    send(push_emulator.base_url, push_emulator_user.headers, "mine")
    [sent] = push_emulator_user.client.wait_for_sends()
    assert sent["apiUser"] == push_emulator_user.userkey

def test_no_reset_between_user_tests(push_emulator, push_emulator_user):
    # The demo user's send made before the session is still there: nobody reset.
    assert push_emulator.client.sends(api_user="demo-user", limit=1)

def test_a_login_works_too(push_emulator, push_emulator_user):
    login = httpx.post(f"{push_emulator.base_url}/login", json={
        "userkey": push_emulator_user.userkey, "password": push_emulator_user.password})
    assert login.status_code == 200

def test_other_users_are_gone_after_their_tests(push_emulator, push_emulator_user):
    assert push_emulator_user.client.sends() == []
"""


def run_pytest(folder: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args, str(folder)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        env=env,
    )


@pytest.mark.process
def test_the_plugin_shares_an_emulator_already_running(
    tmp_path: Path, emulator: RunningEmulator
) -> None:
    send(emulator.base_url, DEMO, "made before the session")
    (tmp_path / "test_shared.py").write_text(PLUGIN_TESTS)
    result = run_pytest(tmp_path, "--push-emulator-url", emulator.url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
    # The suite's users are gone and the demo user's send is untouched.
    assert [u["source"] for u in emulator.client.users()] == ["fixtures", "fixtures"]
    assert emulator.client.sends(api_user="demo-user", q="made before the session")


@pytest.mark.process
def test_the_plugin_under_xdist_serves_each_worker(tmp_path: Path) -> None:
    tests = PLUGIN_TESTS.replace(
        'assert push_emulator.client.sends(api_user="demo-user", limit=1)',
        "pass  # each worker's own emulator starts empty",
    )
    (tmp_path / "test_shared.py").write_text(tests)
    result = run_pytest(tmp_path, "-n", "2")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_users_create_prints_the_user_as_json(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["users", "create", "--url", emulator.url, "--permission", "push"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["permissions"] == ["push"]
    with EmulatorClient(emulator.url) as client:
        assert created["userkey"] in [u["userkey"] for u in client.users()]
    assert main(["users", "list", "--url", emulator.url]) == 0
    assert created["userkey"] in capsys.readouterr().out
    assert main(["users", "delete", "--url", emulator.url, created["userkey"], "--purge"]) == 0
    gone = json.loads(capsys.readouterr().out)
    assert gone == {"deleted": created["userkey"], "purged": {"sends": 0, "requests": 0}}
