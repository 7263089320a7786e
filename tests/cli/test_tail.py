"""`push-emulator tail`: the event stream, one line per event, as a separate process."""

import subprocess

import orjson

from emulator.testing import RunningEmulator
from tests.support.server import CLI, send_to, stop


def test_tail_prints_each_event_as_a_line(emulator: RunningEmulator) -> None:
    process = subprocess.Popen(
        [*CLI, "tail", "--url", emulator.url, "--kinds", "send", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        # The stream may open after the first sends: send until one arrives (a line blocks).
        sent = [send_to(emulator)["data"]["trackingId"] for _ in range(1)]
        while emulator.runtime.events.subscriber_count < 1 and process.poll() is None:
            sent.append(send_to(emulator)["data"]["trackingId"])
        sent.append(send_to(emulator)["data"]["trackingId"])
        event = orjson.loads(process.stdout.readline())
        assert event["event"] == "send"
        assert event["data"]["trackingId"] in sent
    finally:
        stop(process)


def test_tail_refuses_an_unknown_kind_in_one_line(emulator: RunningEmulator) -> None:
    result = subprocess.run(
        [*CLI, "tail", "--url", emulator.url, "--kinds", "sends"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "kinds: unknown kind 'sends'; did you mean 'send'?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
