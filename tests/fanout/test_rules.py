"""Device outcome rules: their validation, matching, triggers, counters and seeds."""

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.clock import Clock
from emulator.errors import BadRequest
from emulator.fanout.rules import OutcomeBook, parse_outcome_rules
from emulator.settings import Settings
from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, BOOKING_CONTENT, DEMO, IOS_APP
from tests.support.devices import EVERY_APP, by_token, send_and_fan_out, set_rules

IOS_TOKENS = {
    "apns-grace-iphone15",
    "apns-lena-iphone13",
    "apns-alan-ipad",
    "apns-pierre-iphone",
    "apns-weber-iphone",
    "apns-mehmet-iphone",
}


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        ({"outcome": "throttled"}, "body: must be an array of outcome rules"),
        ([{"match": {"platform": "ios"}}], "[0]: a rule needs an outcome, deliveryDelay"),
        ([{"outcome": "lost"}], "[0].outcome: must be one of 'delivered', 'unregistered'"),
        ([{"outcome": "throttled", "match": {"os": "ios"}}], "[0].match.os: is not a known field"),
        ([{"outcome": "throttled", "trigger": {"probability": 2}}], "[0].trigger.probability"),
        ([{"deliveryDelay": {"minMs": 9, "maxMs": 1}}], "[0].deliveryDelay.minMs: must not be"),
        ([{"openRate": 1.5}], "[0].openRate: must be at most 1"),
        ([{"outcome": "throttled", "match": {"applicationId": "x"}}], "[0].match.applicationId"),
    ],
)
def test_a_bad_rule_is_a_400_naming_its_field_and_the_rules_stay(
    client: TestClient, rules: Any, problem: str
) -> None:
    set_rules(client, {"outcome": "providerError"})
    response = client.put("/_emulator/device-outcomes", json=rules)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert body["errors"][0].startswith(problem), body
    [kept] = client.get("/_emulator/device-outcomes").json()
    assert kept["rule"] == {"outcome": "providerError"}


def test_a_share_of_ios_deliveries_is_throttled_and_get_shows_how_often(
    client: TestClient,
) -> None:
    set_rules(
        client,
        {
            "name": "iOS throttled",
            "match": {"platform": "ios"},
            "outcome": "throttled",
            "trigger": {"probability": 0.5, "seed": 7},
        },
    )
    deliveries = by_token(send_and_fan_out(client, applicationIds=EVERY_APP))
    throttled = {t for t, d in deliveries.items() if d["outcome"] == "throttled"}
    assert throttled
    assert throttled < IOS_TOKENS  # some iOS devices, never another platform
    assert {deliveries[t]["reason"] for t in throttled} == {"429 TooManyRequests"}
    [status] = client.get("/_emulator/device-outcomes").json()
    assert (status["fired"], status["remaining"], status["active"]) == (len(throttled), None, True)


def _throttled_by_seed(settings: Settings, seed: int) -> list[set[str]]:
    """Two sends under one rule in a fresh emulator: which devices each throttled."""
    with TestClient(create_app(settings)) as client:
        set_rules(client, {"outcome": "throttled", "trigger": {"probability": 0.3, "seed": seed}})
        return [
            {
                d["token"]
                for d in send_and_fan_out(client, applicationIds=EVERY_APP)["deliveries"]
                if d["outcome"] == "throttled"
            }
            for _ in range(2)
        ]


def test_the_same_seed_gives_the_same_outcomes_run_after_run(settings: Settings) -> None:
    first = _throttled_by_seed(settings, 7)
    assert first == _throttled_by_seed(settings, 7)
    assert first[0] != first[1]  # one generator across sends: the draws go on
    assert first != _throttled_by_seed(settings, 8)


def test_a_rule_for_the_next_n_deliveries_fires_n_times(client: TestClient) -> None:
    rule = {"match": {"tokenPrefix": "fcm-"}, "outcome": "providerError", "trigger": {"times": 2}}
    set_rules(client, rule)
    deliveries = send_and_fan_out(client, applicationIds=[ANDROID_APP])["deliveries"]
    failed = [d["token"] for d in deliveries if d["outcome"] == "providerError"]
    assert failed == ["fcm-ada-pixel8", "fcm-mehmet-galaxy"]  # the first two, in fan-out order
    [status] = client.get("/_emulator/device-outcomes").json()
    assert (status["fired"], status["remaining"], status["active"]) == (2, 0, False)


def test_a_token_is_unregistered_from_now_on(client: TestClient) -> None:
    set_rules(client, {"match": {"token": "apns-alan-ipad"}, "outcome": "unregistered"})
    deliveries = by_token(send_and_fan_out(client, applicationIds=EVERY_APP))
    assert (deliveries["apns-alan-ipad"]["outcome"], deliveries["apns-alan-ipad"]["reason"]) == (
        "unregistered",
        "410 Unregistered",
    )
    assert [t for t, d in deliveries.items() if d["outcome"] == "unregistered"] == [
        "fcm-old-handset",  # unregistered in the fixtures already
        "apns-alan-ipad",
    ]


def test_a_rule_can_match_a_contact_and_an_application(client: TestClient) -> None:
    set_rules(
        client, {"match": {"contactKey": "c-002", "applicationId": IOS_APP}, "outcome": "throttled"}
    )
    deliveries = by_token(send_and_fan_out(client, applicationIds=EVERY_APP))
    # c-002 has an Android device too; only the iOS one matches.
    assert deliveries["apns-mehmet-iphone"]["outcome"] == "throttled"
    assert deliveries["fcm-mehmet-galaxy"]["outcome"] == "delivered"


def test_the_first_rule_that_fires_decides(client: TestClient) -> None:
    set_rules(
        client,
        {"match": {"token": "web-ada-chrome"}, "outcome": "senderMismatch"},
        {"match": {"platform": "web"}, "outcome": "providerError"},
    )
    deliveries = by_token(send_and_fan_out(client, applicationIds=EVERY_APP))
    assert deliveries["web-ada-chrome"]["outcome"] == "senderMismatch"
    assert deliveries["web-jonas-firefox"]["outcome"] == "providerError"
    first, second = client.get("/_emulator/device-outcomes").json()
    assert (first["fired"], second["fired"]) == (1, 6)


def test_a_rule_with_a_ttl_ends_on_the_emulators_clock(client: TestClient) -> None:
    runtime_of(client).clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    set_rules(client, {"outcome": "throttled", "trigger": {"ttlSeconds": 60}})
    assert (
        client.get("/_emulator/device-outcomes")
        .json()[0]["expiresAt"]
        .startswith("2030-01-01T00:01:00")
    )
    runtime_of(client).clock.advance(61)
    deliveries = send_and_fan_out(client, applicationIds=[IOS_APP])["deliveries"]
    assert {d["outcome"] for d in deliveries} == {"delivered"}
    assert client.get("/_emulator/device-outcomes").json()[0]["active"] is False


def test_rules_apply_to_transactional_pushes(client: TestClient) -> None:
    set_rules(client, {"match": {"platform": "android"}, "outcome": "throttled"})
    push = {"contentId": BOOKING_CONTENT, "contactKey": "c-002", "sendToAll": True}
    answer = client.post("/rest/transactional/push", json=push, headers=DEMO).json()
    assert runtime_of(client).dispatcher.wait_idle(timeout=30)
    send = client.get(f"/_emulator/sends/{answer['transactionId']}").json()
    assert {d["token"]: d["outcome"] for d in send["deliveries"]} == {
        "fcm-mehmet-galaxy": "throttled",
        "apns-mehmet-iphone": "delivered",
    }


def test_delete_and_reset_clear_the_rules(client: TestClient) -> None:
    set_rules(client, {"outcome": "throttled"})
    assert client.delete("/_emulator/device-outcomes").json() == []
    assert client.get("/_emulator/device-outcomes").json() == []
    set_rules(client, {"outcome": "throttled"})
    client.post("/_emulator/reset")
    assert client.get("/_emulator/device-outcomes").json() == []
    assert {d["outcome"] for d in send_and_fan_out(client)["deliveries"]} <= {
        "delivered",
        "unregistered",
    }


def test_the_book_decides_nothing_without_rules() -> None:
    book = OutcomeBook(Clock())
    assert not book.active
    assert book.decide("t", ANDROID_APP, "android", None) is None
    book.replace(parse_outcome_rules([{"outcome": "throttled"}]))
    rule = book.decide("t", ANDROID_APP, "android", None)
    assert rule is not None
    assert rule.outcome == "throttled"
    with pytest.raises(BadRequest, match="at most 100 rules"):
        parse_outcome_rules([{"outcome": "throttled"}] * 101)
