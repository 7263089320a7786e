"""`push-emulator send`: a send from flags or a JSON file, the answer printed."""

from pathlib import Path

import orjson
import pytest

from emulator.testing import RunningEmulator
from tests.support.cli import run
from tests.support.demo import ANDROID_APP, PAYLOADS, TURKISH_SEGMENT


def test_a_send_from_flags_prints_the_answer_and_is_recorded(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    out = run(
        capsys,
        "send",
        "--url",
        emulator.url,
        "--title",
        "From the shell",
        "--message",
        "hi",
        "--application-id",
        ANDROID_APP,
        "--segment-id",
        TURKISH_SEGMENT,
    )
    answer = orjson.loads(out)
    assert answer["message"] == "Successful"
    stored = emulator.client.send(answer["data"]["trackingId"])
    assert stored["request"] == {
        "content": {"title": "From the shell", "message": "hi"},
        "segmentId": TURKISH_SEGMENT,
        "applicationIds": [ANDROID_APP],
    }


def test_a_send_from_a_file_with_flags_on_top(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = tmp_path / "push.json"
    body.write_bytes(orjson.dumps({"applicationIds": [ANDROID_APP], "content": {"title": "File"}}))
    out = run(capsys, "send", "--url", emulator.url, "--body", str(body), "--message", "added")
    tracking = orjson.loads(out)["data"]["trackingId"]
    assert emulator.client.send(tracking)["request"]["content"] == {
        "title": "File",
        "message": "added",
    }


def test_a_refused_send_prints_the_400_and_exits_1(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = PAYLOADS / "application_id_not_a_guid.json"
    out = run(capsys, "send", "--url", emulator.url, "--body", str(bad), code=1)
    assert orjson.loads(out)["code"] == 400
    assert emulator.client.sends() == []


def test_a_login_first_with_userkey_and_password(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["send", "--url", emulator.url, "--title", "t", "--userkey", "demo-user"]
    out = run(capsys, *args, "--password", "demo-password")
    assert emulator.client.last_send()["apiUser"] == "demo-user"
    assert orjson.loads(out)["code"] == 0
    refused = run(capsys, *args, "--password", "wrong", code=1)
    assert orjson.loads(refused)["code"] == 401
