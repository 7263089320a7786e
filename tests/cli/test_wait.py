"""`push-emulator wait`: exit 0 with the sends once they arrive, 1 with the near misses."""

import orjson
import pytest

from emulator.cli import main
from emulator.testing import RunningEmulator
from tests.support.cli import run
from tests.support.server import send_to


def test_wait_exits_0_listing_the_sends(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    answer = send_to(emulator)
    tracking = answer["data"]["trackingId"]
    out = run(capsys, "wait", "--url", emulator.url, "--tracking-id", tracking, "--json")
    [item] = orjson.loads(out)
    assert (item["trackingId"], item["status"]) == (tracking, "Completed")
    table = run(capsys, "wait", "--url", emulator.url, "--tracking-id", tracking[:8])
    assert tracking in table  # the inbox's short id, resolved


def test_wait_exits_1_with_the_near_misses(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    send_to(emulator, content={"title": "Wrong one", "message": "m"})
    emulator.client.wait_for_sends()
    assert main(["wait", "--url", emulator.url, "--text", "Right one", "--timeout", "0.2"]) == 1
    err = capsys.readouterr().err
    assert "0 of 1 Completed send(s) matched" in err
    assert "title='Wrong one'" in err
