"""client.faults, client.rate_limits, client.clock, seed(), open/click, against a real server."""

from datetime import UTC, datetime

import httpx
import pytest

from emulator.testing import RunningEmulator
from tests.support.demo import DEMO, inline_send
from tests.support.server import send_to

DROP_503 = {"name": "down", "action": {"type": "status", "status": 503}}


def status_of_a_send(emulator: RunningEmulator) -> int:
    url = f"{emulator.base_url}/push/sendInstant"
    return httpx.post(url, json=inline_send(), headers=DEMO).status_code


def test_faults_set_list_and_clear(emulator: RunningEmulator) -> None:
    faults = emulator.client.faults
    [state] = faults.set([{**DROP_503, "trigger": {"times": 1}}])
    assert (state["rule"]["name"], state["remaining"], state["active"]) == ("down", 1, True)
    assert status_of_a_send(emulator) == 503
    [used] = faults.list()
    assert (used["fired"], used["remaining"], used["active"]) == (1, 0, False)
    faults.clear()
    assert faults.list() == []
    assert status_of_a_send(emulator) == 200


def test_inject_holds_for_the_block_only_and_leaves_other_rules_alone(
    emulator: RunningEmulator,
) -> None:
    faults = emulator.client.faults
    [kept] = faults.set([{"name": "slow", "action": {"type": "latency", "ms": 1}}])
    with faults.inject(DROP_503) as injected:
        assert injected["rule"]["name"] == "down"
        assert status_of_a_send(emulator) == 503
    assert [s["id"] for s in faults.list()] == [kept["id"]]
    assert faults.list()[0]["fired"] == 1  # the other rule's counter ran on, not restarted
    assert status_of_a_send(emulator) == 200


def test_inject_removes_its_rule_when_the_block_fails(emulator: RunningEmulator) -> None:
    with pytest.raises(RuntimeError, match="boom"), emulator.client.faults.inject(DROP_503):
        raise RuntimeError("boom")
    assert emulator.client.faults.list() == []


def test_inject_survives_a_reset_inside_its_block(emulator: RunningEmulator) -> None:
    with emulator.client.faults.inject(DROP_503):
        emulator.client.reset()
    assert emulator.client.faults.list() == []


def test_rate_limits_set_a_users_bucket(emulator: RunningEmulator) -> None:
    limits = emulator.client.rate_limits.set(
        users={"demo-user": {"capacity": 2, "refillPerSecond": 0}}
    )
    assert limits["users"] == {"demo-user": {"capacity": 2, "refillPerSecond": 0}}
    assert [status_of_a_send(emulator) for _ in range(3)] == [200, 200, 429]
    default = emulator.client.rate_limits.set(default={"capacity": 7, "refillPerSecond": 1})
    assert default["default"] == {"capacity": 7, "refillPerSecond": 1}
    assert default["users"] == {}
    assert emulator.client.rate_limits.get() == default


def test_the_clock_freezes_advances_offsets_and_goes_real(emulator: RunningEmulator) -> None:
    clock = emulator.client.clock
    frozen = clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    assert (frozen["mode"], frozen["now"]) == ("frozen", "2030-01-01T00:00:00+00:00")
    assert clock.freeze("2031-06-01T12:00:00")["now"] == "2031-06-01T12:00:00+00:00"
    assert clock.advance(90)["now"] == "2031-06-01T12:01:30+00:00"
    assert clock.now() == datetime(2031, 6, 1, 12, 1, 30, tzinfo=UTC)
    ahead = clock.offset(3600)
    assert (ahead["mode"], ahead["offsetSeconds"]) == ("offset", 3600)
    assert clock.real()["mode"] == "real"


def test_advancing_the_clock_sends_a_scheduled_push(emulator: RunningEmulator) -> None:
    client = emulator.client
    client.clock.freeze("2030-01-01T09:00:00Z")
    send_to(emulator, scheduleDate="2030-01-01 10:00")
    client.wait_for_sends(status="Scheduled")
    client.clock.advance(3600)
    [done] = client.wait_for_sends()
    assert done["status"] == "Completed"


def test_seed_makes_tracking_ids_repeat(emulator: RunningEmulator) -> None:
    client = emulator.client
    runs = []
    for _ in range(2):
        assert client.seed(42) == 42
        runs.append(send_to(emulator)["data"]["trackingId"])
    assert runs[0] == runs[1]
    assert client.get_seed() == 42
    assert client.seed(None) is None


def test_open_and_click_take_a_delivery_or_its_id(emulator: RunningEmulator) -> None:
    client = emulator.client
    send_to(emulator)
    client.wait_for_sends()
    first, second = client.last_send()["deliveries"][:2]
    opened = client.open(first)
    assert opened["openedAt"] is not None
    assert opened["clickedAt"] is None
    assert opened["deviceEngaged"] is True
    clicked = client.click(second["id"])
    assert clicked["clickedAt"] is not None
