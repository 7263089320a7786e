"""Outcomes in each platform's own words: the table, and a delivery per outcome and platform."""

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.fanout.outcomes import BOUNCES, CLEANED, OUTCOME_NAMES, OUTCOMES
from emulator.settings import Settings
from tests.support.app import runtime_of
from tests.support.demo import BOOKING_CONTENT, DEMO
from tests.support.devices import (
    EVERY_APP,
    ONE_PER_PLATFORM,
    by_token,
    change_device,
    send_and_fan_out,
)

# The vocabulary, as FCM, APNs and web push services answer.
EXPECTED = {
    "unregistered": ("UNREGISTERED", "410 Unregistered", "410 Gone"),
    "invalidToken": ("INVALID_ARGUMENT", "400 BadDeviceToken", "404 Not Found"),
    "senderMismatch": ("SENDER_ID_MISMATCH", "400 DeviceTokenNotForTopic", "403 Forbidden"),
    "throttled": ("QUOTA_EXCEEDED", "429 TooManyRequests", "429 Too Many Requests"),
    "providerError": ("UNAVAILABLE", "503 ServiceUnavailable", "503 Service Unavailable"),
}


def test_the_table_speaks_each_platforms_vocabulary() -> None:
    assert ("delivered", *EXPECTED) == OUTCOME_NAMES
    for name, (android, ios, web) in EXPECTED.items():
        outcome = OUTCOMES[name]
        assert (outcome.reason("android"), outcome.reason("ios"), outcome.reason("web")) == (
            android,
            ios,
            web,
        )
    assert OUTCOMES["delivered"].reason("ios") is None
    assert {"unregistered", "invalidToken", "senderMismatch"} == BOUNCES
    assert {"unregistered", "invalidToken"} == CLEANED


@pytest.mark.parametrize("outcome", list(EXPECTED))
def test_a_device_outcome_fails_its_delivery_in_its_platforms_words(
    client: TestClient, outcome: str
) -> None:
    for token, _app in ONE_PER_PLATFORM.values():
        change_device(client, token, outcome=outcome)
    send = send_and_fan_out(client, applicationIds=EVERY_APP)
    deliveries = by_token(send)
    for index, (platform, (token, _app)) in enumerate(ONE_PER_PLATFORM.items()):
        delivery = deliveries[token]
        assert delivery["platform"] == platform
        assert (delivery["status"], delivery["outcome"], delivery["reason"]) == (
            "Failed",
            outcome,
            EXPECTED[outcome][index],
        )
        assert delivery["title"] == "Hi"  # what it would have shown is still recorded
    others = [
        d for t, d in deliveries.items() if t not in {t for t, _ in ONE_PER_PLATFORM.values()}
    ]
    assert {(d["outcome"], d["reason"]) for d in others if d["token"] != "fcm-old-handset"} == {
        ("delivered", None)
    }


def test_the_fixture_field_outcome_decides_too(client: TestClient) -> None:
    fixtures = client.get("/_emulator/fixtures").json()
    for device in fixtures["devices"]:
        if device["token"] == "apns-lena-iphone13":
            device["outcome"] = "senderMismatch"
    assert client.put("/_emulator/fixtures", json=fixtures).status_code == 200
    delivery = by_token(send_and_fan_out(client, applicationIds=EVERY_APP))["apns-lena-iphone13"]
    assert (delivery["outcome"], delivery["reason"]) == (
        "senderMismatch",
        "400 DeviceTokenNotForTopic",
    )


def test_a_device_with_status_unregistered_still_fails_as_unregistered(
    client: TestClient,
) -> None:
    change_device(client, "web-sofia-safari", status="unregistered", outcome="throttled")
    delivery = by_token(send_and_fan_out(client, applicationIds=EVERY_APP))["web-sofia-safari"]
    # The status wins over the outcome: the token is gone, the provider says so.
    assert (delivery["status"], delivery["outcome"], delivery["reason"]) == (
        "Failed",
        "unregistered",
        "410 Gone",
    )


@pytest.mark.parametrize(
    ("outcome", "cleaned"),
    [
        ("unregistered", True),
        ("invalidToken", True),
        ("senderMismatch", False),
        ("throttled", False),
    ],
)
def test_unregistered_and_invalid_tokens_are_cleaned_up_for_later_sends(
    client: TestClient, outcome: str, cleaned: bool
) -> None:
    change_device(client, "apns-lena-iphone13", outcome=outcome)
    send_and_fan_out(client, applicationIds=EVERY_APP)
    device = client.get("/_emulator/devices/apns-lena-iphone13").json()
    assert device["status"] == ("unregistered" if cleaned else "active")
    later = by_token(send_and_fan_out(client, applicationIds=EVERY_APP))["apns-lena-iphone13"]
    expected = "unregistered" if cleaned else outcome
    assert later["outcome"] == expected


def test_the_clean_up_can_be_turned_off(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"token_cleanup": False}))) as client:
        change_device(client, "apns-lena-iphone13", outcome="unregistered")
        send_and_fan_out(client, applicationIds=EVERY_APP)
        assert client.get("/_emulator/devices/apns-lena-iphone13").json()["status"] == "active"


def test_a_transactional_push_gets_its_devices_outcome_and_cleans_it_up(
    client: TestClient,
) -> None:
    # c-005 has one device, the iPhone.
    change_device(client, "apns-lena-iphone13", outcome="invalidToken")
    push = {"contentId": BOOKING_CONTENT, "contactKey": "c-005"}
    answer = client.post("/rest/transactional/push", json=push, headers=DEMO).json()
    assert answer["code"] == 0
    assert runtime_of(client).dispatcher.wait_idle(timeout=30)
    [delivery] = client.get(f"/_emulator/sends/{answer['transactionId']}").json()["deliveries"]
    assert (delivery["status"], delivery["outcome"], delivery["reason"]) == (
        "Failed",
        "invalidToken",
        "400 BadDeviceToken",
    )
    # The token was cleaned up: the contact has no active device left, as on the service.
    again = client.post("/rest/transactional/push", json=push, headers=DEMO).json()
    assert (again["code"], again["message"]) == (11, "Token not found with given ContactKey")
