"""Timing: delayed deliveries are Sent until the emulator's clock reaches them, then final;
a send is Completed once every delivery is; planned opens happen when their time comes."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.events import DELIVERIES, SEND_STATUS
from emulator.settings import Settings
from emulator.testing import run_emulator
from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, inline_send
from tests.support.devices import EVERY_APP, by_token, send_and_fan_out, set_rules, settle

NOON = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def report(client: TestClient, send: dict[str, Any], application_id: str) -> dict[str, Any]:
    response = client.get(
        "/rest/push/sendInstant",
        params={"trackingId": send["trackingId"], "applicationId": application_id},
        headers=DEMO,
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def frozen(client: TestClient) -> None:
    runtime_of(client).clock.freeze(NOON)


def detail(client: TestClient, send: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/_emulator/sends/{send['transactionId']}").json()
    return found


def test_by_default_every_delivery_is_final_at_once(client: TestClient) -> None:
    frozen(client)
    send = send_and_fan_out(client)
    assert send["status"] == "Completed"
    assert {d["status"] for d in send["deliveries"]} == {"Delivered", "Failed"}
    assert {d["finalAt"] for d in send["deliveries"]} == {"2030-06-01T12:00:00Z"}


def test_a_delayed_delivery_is_sent_first_and_final_when_the_clock_reaches_it(
    client: TestClient,
) -> None:
    frozen(client)
    set_rules(client, {"match": {"token": "fcm-ada-pixel8"}, "deliveryDelay": {"ms": 90_000}})
    send = send_and_fan_out(client)
    ada = by_token(send)["fcm-ada-pixel8"]
    # On its way: its outcome is decided but not known yet; the rest is final.
    assert (ada["status"], ada["outcome"], ada["reason"]) == ("Sent", None, None)
    assert ada["finalAt"] == "2030-06-01T12:01:30Z"
    assert send["status"] == "Sending"
    assert send["deliveryCount"] == 7  # every delivery is written
    # The report exists and counts what is final: six of seven.
    assert report(client, send, ANDROID_APP)["totalDeliveredCount"] + 1 == 6
    runtime_of(client).clock.advance(89)
    settle(client)
    assert detail(client, send)["status"] == "Sending"
    runtime_of(client).clock.advance(1)
    settle(client)
    after = detail(client, send)
    assert after["status"] == "Completed"
    assert after["completedAt"] == "2030-06-01T12:01:30Z"
    ada = by_token(after)["fcm-ada-pixel8"]
    assert (ada["status"], ada["outcome"]) == ("Delivered", "delivered")
    assert report(client, after, ANDROID_APP)["totalDeliveredCount"] == 6


def test_a_delayed_failure_fails_when_its_time_comes(client: TestClient) -> None:
    frozen(client)
    set_rules(
        client,
        {"match": {"platform": "ios"}, "outcome": "providerError", "deliveryDelay": {"ms": 5000}},
    )
    send = send_and_fan_out(client, applicationIds=[IOS_APP])
    assert {d["status"] for d in send["deliveries"]} == {"Sent"}
    data = report(client, send, IOS_APP)
    assert (data["status"], data["totalErrorCount"], data["errorMessage"]) == ("Sending", 0, None)
    client.post("/_emulator/clock/advance", json={"seconds": 5})
    settle(client)
    data = report(client, send, IOS_APP)
    assert (data["status"], data["totalErrorCount"]) == ("Completed", 6)
    assert data["errorMessage"] == "503 ServiceUnavailable"


def test_a_range_of_delays_is_drawn_per_delivery_from_the_seed(settings: Settings) -> None:
    def final_times() -> list[str]:
        seeded = settings.model_copy(update={"seed": 3, "delivery_delay": "1000-60000"})
        with TestClient(create_app(seeded)) as client:
            frozen(client)
            send = send_and_fan_out(client)
            return [d["finalAt"] for d in send["deliveries"]]

    first = final_times()
    assert len(set(first)) == 7  # each its own
    assert all("2030-06-01T12:00:01" <= t <= "2030-06-01T12:01:00Z" for t in first)
    assert final_times() == first  # same seed, same send: same delays


def test_an_applications_delay_from_the_fixtures(fixtures_dir: Path, settings: Settings) -> None:
    apps = json.loads((fixtures_dir / "applications.json").read_text())
    for app in apps:
        if app["id"] == IOS_APP:
            app["deliveryDelay"] = {"minMs": 2000, "maxMs": 3000}
    (fixtures_dir / "applications.json").write_text(json.dumps(apps))
    with TestClient(create_app(settings)) as client:
        frozen(client)
        send = send_and_fan_out(client, applicationIds=EVERY_APP)
        waiting = {d["platform"] for d in send["deliveries"] if d["status"] == "Sent"}
        assert waiting == {"ios"}
        runtime_of(client).clock.advance(3)
        settle(client)
        assert detail(client, send)["status"] == "Completed"


def test_each_step_is_announced(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    frozen(client)
    set_rules(client, {"match": {"platform": "android"}, "deliveryDelay": {"ms": 1000}})
    heard: list[tuple[str, dict[str, Any]]] = []
    events = runtime_of(client).events
    publish = events.publish

    def recording(kind: Any, **data: Any) -> None:
        heard.append((kind, data))
        publish(kind, **data)

    monkeypatch.setattr(events, "publish", recording)
    send = send_and_fan_out(client, applicationIds=[ANDROID_APP])
    status = {
        "id": send["id"],
        "trackingId": send["trackingId"],
        "status": "Completed",
        "sendKind": "instant",
        "apiUser": "demo-user",
        "title": "Hi",  # what its first device was shown, as at a fan-out's completion
        "message": "Hello",
    }
    assert (SEND_STATUS, status) not in heard
    runtime_of(client).clock.advance(1)
    settle(client)
    final = {"sendId": send["id"], "final": 7, "opened": 0, "apiUser": "demo-user"}
    assert (DELIVERIES, final) in heard
    assert heard[-1] == (SEND_STATUS, status)


def test_wait_for_sends_sees_a_delayed_send_complete_on_the_real_clock() -> None:
    # Real time this once: a delay of a fifth of a second passes by itself, with no clock
    # moved, because the dispatcher sleeps until the next delivery is due.
    with run_emulator(delivery_delay="200") as emulator:
        url = f"{emulator.base_url}/push/sendInstant"
        response = httpx.post(url, json=inline_send(), headers=DEMO)
        assert response.status_code == 200, response.text
        [done] = emulator.client.wait_for_sends(timeout=30)
        assert done["status"] == "Completed"
        send = emulator.client.send(done["trackingId"])
        assert {d["status"] for d in send["deliveries"]} == {"Delivered", "Failed"}


def test_deliveries_still_on_their_way_survive_a_restart(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        frozen(client)
        set_rules(client, {"deliveryDelay": {"ms": 60_000}})
        send = send_and_fan_out(client)
        assert send["status"] == "Sending"
    with TestClient(create_app(settings)) as client:
        # The next start finds them waiting, and settles them once the clock reaches them.
        runtime_of(client).clock.freeze(NOON + timedelta(seconds=59))
        settle(client)
        assert detail(client, send)["status"] == "Sending"
        runtime_of(client).clock.freeze(NOON + timedelta(minutes=1))
        settle(client)
        after = detail(client, send)
        assert after["status"] == "Completed"
        assert {d["status"] for d in after["deliveries"]} == {"Delivered", "Failed"}
