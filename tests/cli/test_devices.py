"""`push-emulator devices` (list, add, set, remove, inbox) against a running server."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from emulator.cli import main
from emulator.testing import RunningEmulator, run_emulator
from tests.support.demo import DEMO, IOS_APP, WEB_APP, inline_send


@pytest.fixture(scope="module")
def server() -> Iterator[RunningEmulator]:
    with run_emulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(server: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    server.client.reset()
    monkeypatch.setenv("PUSH_EMULATOR_URL", server.url)
    monkeypatch.delenv("EMULATOR_ADMIN_TOKEN", raising=False)
    return server


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def test_devices_lists_a_filtered_table(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    header, *rows = run(capsys, "devices", "--application-id", IOS_APP, "--limit", "2").splitlines()
    assert header.split() == [
        "TOKEN",
        "APPLICATION",
        "CONTACT",
        "LANG",
        "STATUS",
        "OUTCOME",
        "ENGAGED",
    ]
    assert [row.split()[0] for row in rows] == ["apns-grace-iphone15", "apns-lena-iphone13"]
    assert rows[0].split()[2:] == ["c-006", "EN", "active", "delivered", "yes"]
    listed = orjson.loads(run(capsys, "devices", "--status", "unregistered", "--json"))
    assert [d["token"] for d in listed] == ["fcm-old-handset"]


def test_add_set_inbox_and_remove(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    records = tmp_path / "devices.json"
    records.write_bytes(orjson.dumps([{"token": "web-new", "applicationId": WEB_APP}]))
    assert "web-new" in run(capsys, "devices", "add", str(records))
    out = run(capsys, "devices", "set", "web-new", "--outcome", "throttled", "--no-engaged")
    assert out.splitlines()[1].split()[-2:] == ["throttled", "no"]
    response = httpx.post(
        f"{emulator.base_url}/push/sendInstant",
        json=inline_send(applicationIds=[WEB_APP], content={"title": "For the web"}),
        headers=DEMO,
    )
    tracking_id = response.json()["data"]["trackingId"]
    emulator.client.wait_for_sends()
    assert run(capsys, "devices", "inbox", "web-new") == "Nothing was shown on this device.\n"
    shown = run(capsys, "devices", "inbox", "web-ada-chrome").splitlines()
    assert tracking_id in shown[1]
    assert "For the web" in shown[1]
    assert run(capsys, "devices", "remove", "web-new") == f"removed web-new ({WEB_APP})\n"


def test_a_bad_call_is_one_line_naming_the_problem(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    with pytest.raises(SystemExit, match="answered HTTP 404: No device with token 'nope'"):
        main(["devices", "remove", "nope"])
    records = tmp_path / "bad.json"
    records.write_text('{"token": "x"}')
    with pytest.raises(SystemExit, match=r"HTTP 400: body: record 0 \(token 'x'\): applicationId"):
        main(["devices", "add", str(records)])
    with pytest.raises(SystemExit, match="name at least one change"):
        main(["devices", "set", "fcm-ada-pixel8"])
