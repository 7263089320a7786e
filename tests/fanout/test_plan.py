"""A delivery's plan: the outcome's precedence, delays, and seeded opens and clicks."""

import random
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.clock import Clock
from emulator.fanout.audience import Recipient
from emulator.fanout.plan import Defaults, Planner
from emulator.fanout.rules import OutcomeBook, parse_outcome_rules
from emulator.fanout.timing import Delay, parse_delay
from emulator.push.fixtures import Application, Device
from emulator.settings import Settings
from emulator.storage.tables import UNKNOWN_TOKEN
from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, WEB_APP
from tests.support.devices import EVERY_APP, by_token, send_and_fan_out, settle

NOON = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
ANDROID = Application(id=ANDROID_APP, name="Shop Android", platform="android")


def recipient(failure: str | None = None, **device: Any) -> Recipient:
    fields = {"token": "t-1", "applicationId": ANDROID_APP, **device}
    return Recipient(Device(**fields), ANDROID, {}, failure)


def planner(rules: list[dict[str, Any]] | None = None, **defaults: Any) -> Planner:
    book = OutcomeBook(Clock())
    book.replace(parse_outcome_rules(rules or []))
    return Planner(Defaults(**defaults), book if rules else None, lambda: random.Random(1), NOON)


def test_an_undelayed_delivery_is_final_at_fan_out() -> None:
    assert planner().plan(recipient()) == (
        "Delivered",
        "delivered",
        None,
        "2030-06-01 12:00:00.000000",
        None,
        None,
        None,
        None,
    )


def test_what_decides_the_outcome_in_order() -> None:
    rules = [{"outcome": "throttled"}]
    # A token the account does not know reaches nobody: no provider answered.
    assert planner(rules).plan(recipient(UNKNOWN_TOKEN))[:3] == (
        "Failed",
        "invalidToken",
        "UnknownToken",
    )
    # An unregistered device fails as such, whatever a rule says.
    assert planner(rules).plan(recipient(status="unregistered"))[1] == "unregistered"
    # A rule over the device's own outcome.
    assert planner(rules).plan(recipient(outcome="providerError"))[1] == "throttled"
    assert planner().plan(recipient(outcome="providerError"))[1:3] == (
        "providerError",
        "UNAVAILABLE",
    )


def test_a_final_unregistered_or_invalid_delivery_is_cleaned_up() -> None:
    plans = planner()
    plans.plan(recipient(outcome="invalidToken"))
    plans.plan(recipient(token="t-2", outcome="throttled"))
    plans.plan(recipient(token="t-3", status="unregistered"))  # already unregistered
    plans.plan(recipient(UNKNOWN_TOKEN, token="t-4"))  # not registered at all
    assert plans.cleaned == {(ANDROID_APP, "t-1")}


def test_a_delayed_delivery_is_sent_and_not_cleaned_up_yet() -> None:
    plans = planner(delay=Delay(ms=1500))
    status, outcome, _reason, final_at, *_ = plans.plan(recipient(outcome="unregistered"))
    assert (status, outcome, final_at) == ("Sent", "unregistered", "2030-06-01 12:00:01.500000")
    assert plans.cleaned == set()  # the settler does it when the delivery is final


def test_every_delivery_opens_and_clicks_at_once_with_rates_of_one_and_no_window() -> None:
    plan = planner(open_rate=1.0, click_rate=1.0, open_window_seconds=0).plan(recipient())
    now = "2030-06-01 12:00:00.000000"
    assert plan[3:] == (now, now, now, None, None)


def test_opens_are_planned_within_the_window_after_the_delivery() -> None:
    plans = planner(open_rate=1.0, open_window_seconds=600, delay=Delay(ms=60_000))
    for token in ("a", "b", "c"):
        *_, final_at, opened, clicked, open_due, click_due = plans.plan(recipient(token=token))
        assert (opened, clicked, click_due) == (None, None, None)
        assert open_due is not None
        assert final_at <= open_due <= "2030-06-01 12:11:00"


def test_a_failed_delivery_is_never_opened() -> None:
    plan = planner(open_rate=1.0, open_window_seconds=0).plan(recipient(outcome="throttled"))
    assert plan[4:] == (None, None, None, None)


def test_a_click_counts_as_an_open() -> None:
    plans = planner(click_rate=0.5, open_window_seconds=0)
    plans_made = [plans.plan(recipient(token=f"t-{i}")) for i in range(200)]
    clicked = [p for p in plans_made if p[5] is not None]
    assert 60 < len(clicked) < 140
    assert all(p[4] == p[5] for p in clicked)  # opened when clicked
    assert all(p[4] is None for p in plans_made if p[5] is None)  # no open without a click


@pytest.mark.parametrize(
    ("text", "delay"),
    [("0", Delay(ms=0)), ("250", Delay(ms=250)), (" 10 - 20 ", Delay(minMs=10, maxMs=20))],
)
def test_the_delay_setting_is_milliseconds_or_a_range(text: str, delay: Delay) -> None:
    assert parse_delay(text) == delay


@pytest.mark.parametrize("text", ["", "fast", "1.5", "20-10", "-5", "1-2-3", "90000000"])
def test_a_bad_delay_setting_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        parse_delay(text)


def test_the_open_rate_setting_fills_the_report_and_engages_the_openers(
    settings: Settings,
) -> None:
    engaged = settings.model_copy(update={"open_rate": 0.5, "seed": 11, "open_window": 3600})
    with TestClient(create_app(engaged)) as client:
        runtime_of(client).clock.freeze(NOON)
        send = send_and_fan_out(client, applicationIds=[WEB_APP])
        query = {"trackingId": send["trackingId"], "applicationId": WEB_APP}
        headers = {"Authorization": "Bearer demo-token"}
        before = client.get("/rest/push/sendInstant", params=query, headers=headers).json()
        assert before["data"]["totalOpenCount"] == 0  # nobody opened a push that just arrived
        client.post("/_emulator/clock/advance", json={"seconds": 3600})
        settle(client)
        after = client.get(f"/_emulator/sends/{send['trackingId']}").json()
        opened = {token for token, d in by_token(after).items() if d["openedAt"]}
        assert 0 < len(opened) < 7
        data = client.get("/rest/push/sendInstant", params=query, headers=headers).json()["data"]
        assert data["totalOpenCount"] == len(opened)
        assert sum(item["openCount"] for item in data["browsers"]) == len(opened)
        # Openers count as engaged: an engaged-only send reaches them (and the fixtures' own).
        again = send_and_fan_out(client, applicationIds=[WEB_APP], useOnlyEngagedTokens=True)
        fixture_engaged = {"web-ada-chrome", "web-jonas-firefox", "web-zeynep-chrome"}
        assert {d["token"] for d in again["deliveries"]} == opened | fixture_engaged


def test_an_applications_rates_and_a_rule_for_one_send(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        fixtures = client.get("/_emulator/fixtures").json()
        for app in fixtures["applications"]:
            app["openRate"] = 1.0 if app["id"] == WEB_APP else 0.0
        assert client.put("/_emulator/fixtures", json=fixtures).status_code == 200
        runtime_of(client).clock.freeze(NOON)
        # The next seven deliveries click at once; the rest follow their application.
        client.put(
            "/_emulator/device-outcomes",
            json=[{"match": {"platform": "android"}, "clickRate": 1.0, "trigger": {"times": 7}}],
        )
        send = send_and_fan_out(client, applicationIds=EVERY_APP)
        client.post("/_emulator/clock/advance", json={"seconds": 3600})
        settle(client)
        after = client.get(f"/_emulator/sends/{send['trackingId']}").json()
        clicked = {d["platform"] for d in after["deliveries"] if d["clickedAt"]}
        opened = {d["platform"] for d in after["deliveries"] if d["openedAt"]}
        assert (clicked, opened) == ({"android"}, {"android", "web"})
