"""EmulatorClient's reads, waits, resets and fixtures, against the real server on a free port."""

import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from emulator.client import EmulatorClient, EmulatorError, Event, WaitTimeout
from emulator.testing import RunningEmulator, run_emulator
from tests.support.demo import ANDROID_APP, DEMO, TURKISH_SEGMENT, inline_send
from tests.support.server import send_to


def test_the_server_serves_the_emulated_api_under_base_url(emulator: RunningEmulator) -> None:
    assert emulator.base_url == f"{emulator.url}/rest"
    assert emulator.url.startswith("http://127.0.0.1:")
    login = httpx.post(
        f"{emulator.base_url}/login", json={"userkey": "demo-user", "password": "demo-password"}
    )
    assert login.status_code == 200


def test_sends_takes_snake_case_filters_and_last_send_has_deliveries(
    emulator: RunningEmulator,
) -> None:
    first = send_to(emulator, segmentId=TURKISH_SEGMENT)
    second = send_to(emulator)
    client = emulator.client
    assert [s["transactionId"] for s in client.sends()] == [
        second["transactionId"],
        first["transactionId"],
    ]
    assert [s["transactionId"] for s in client.sends(segment_id=TURKISH_SEGMENT)] == [
        first["transactionId"]
    ]
    assert client.sends(since=datetime.now(UTC) + timedelta(days=1)) == []
    client.wait_for_sends(count=2)  # both fanned out by the dispatcher
    last = client.last_send()
    assert last["transactionId"] == second["transactionId"]
    assert last["status"] == "Completed"
    assert len(last["deliveries"]) == last["deliveryCount"] > 0
    assert {d["applicationId"] for d in last["deliveries"]} == {ANDROID_APP}
    assert client.last_send(segment_id=TURKISH_SEGMENT)["transactionId"] == first["transactionId"]
    assert client.send(first["data"]["trackingId"])["request"]["segmentId"] == TURKISH_SEGMENT


def test_last_send_fails_as_an_assertion_when_nothing_was_sent(emulator: RunningEmulator) -> None:
    with pytest.raises(AssertionError, match="no send recorded"):
        emulator.client.last_send()


def test_wait_for_sends_returns_the_sends(emulator: RunningEmulator) -> None:
    answer = send_to(emulator)
    [item] = emulator.client.wait_for_sends(tracking_id=answer["data"]["trackingId"])
    assert item["transactionId"] == answer["transactionId"]
    assert item["status"] == "Completed"
    later = send_to(emulator, scheduleDate="2099-01-01 10:00")
    [scheduled] = emulator.client.wait_for_sends(status="Scheduled")
    assert scheduled["transactionId"] == later["transactionId"]


def test_wait_for_deliveries_to_a_contact(emulator: RunningEmulator) -> None:
    send_to(emulator, segmentId=TURKISH_SEGMENT)
    send_to(emulator)
    [everyone, segment] = emulator.client.wait_for_sends(count=2)
    assert segment["deliveryCount"] < everyone["deliveryCount"]
    # Recipients are known from the deliveries the dispatcher wrote.
    [ada] = emulator.client.sends(contact_key="c-001")
    assert ada["transactionId"] == everyone["transactionId"]


def test_a_wait_that_times_out_says_what_was_sent_instead(emulator: RunningEmulator) -> None:
    send_to(emulator, content={"title": "Wrong title", "message": "x"})
    with pytest.raises(WaitTimeout) as failure:
        emulator.client.wait_for_sends(count=1, timeout=0.1, q="Right title")
    assert failure.value.matched == 0
    assert len(failure.value.near_misses) == 1
    message = str(failure.value)
    assert "0 of 1 Completed send(s) matched" in message
    assert "title='Wrong title'" in message


def test_requests_reset_and_clear(emulator: RunningEmulator) -> None:
    send_to(emulator)
    httpx.post(f"{emulator.base_url}/push/sendInstant", json=inline_send())  # no token: 401
    client = emulator.client
    assert [r["status"] for r in client.requests()] == [401, 200]
    assert [r["status"] for r in client.requests(status="4xx")] == [401]
    assert client.clear_requests() == 2
    assert client.clear_sends() == 1
    send_to(emulator)
    client.reset()
    assert client.sends() == []
    assert client.requests() == []


def test_load_fixtures_replaces_them_and_refusals_raise(emulator: RunningEmulator) -> None:
    client = emulator.client
    data = client.fixtures()
    data["api_users"][0]["tokens"] = ["fresh-token"]
    client.load_fixtures(data)
    fresh = httpx.post(
        f"{emulator.base_url}/push/sendInstant",
        json=inline_send(),
        headers={"Authorization": "Bearer fresh-token"},
    )
    assert fresh.status_code == 200
    with pytest.raises(EmulatorError) as refused:
        client.load_fixtures({"applications": [{"id": "nope"}]})
    assert refused.value.status == 400
    assert "body/applications.json: record 0 (id 'nope')" in str(refused.value)


def test_export_streams_sends_with_deliveries(emulator: RunningEmulator) -> None:
    made = [send_to(emulator)["transactionId"] for _ in range(3)]
    emulator.client.wait_for_sends(count=3)
    exported = list(emulator.client.export(application_id=ANDROID_APP))
    assert [e["transactionId"] for e in exported] == made
    assert all(len(e["deliveries"]) == e["deliveryCount"] > 0 for e in exported)


def test_a_server_with_an_admin_token_gives_its_client_the_token() -> None:
    with run_emulator(admin_token="t0p") as emulator:
        assert emulator.client.sends() == []
        with EmulatorClient(emulator.url) as anonymous, pytest.raises(EmulatorError) as refused:
            anonymous.sends()
        assert refused.value.status == 401


def test_fixtures_can_be_given_as_data() -> None:
    fixtures = {
        "api_users": [
            {"userkey": "u", "password": "p", "permissions": ["push"], "tokens": ["tok"]}
        ],
        "applications": [{"id": ANDROID_APP, "name": "App", "platform": "android"}],
    }
    with run_emulator(fixtures) as emulator:
        assert [u["userkey"] for u in emulator.client.fixtures()["api_users"]] == ["u"]
        assert emulator.client.fixtures()["devices"] == []
        response = httpx.post(
            f"{emulator.base_url}/push/sendInstant",
            json=inline_send(),
            headers={"Authorization": "Bearer tok"},
        )
        assert response.status_code == 200
    with pytest.raises(ValueError, match="unknown fixture file"), run_emulator({"gadgets": []}):
        pass


def test_an_opened_push_makes_its_device_reachable_by_engaged_only_sends(
    emulator: RunningEmulator,
) -> None:
    client = emulator.client
    send_to(emulator)
    [first] = client.wait_for_sends()
    detail = client.send(first["trackingId"])
    [ayse] = [d for d in detail["deliveries"] if d["token"] == "fcm-ayse-redmi"]

    def engaged_tokens() -> set[str]:
        answer = send_to(emulator, useOnlyEngagedTokens=True)
        [done] = client.wait_for_sends(tracking_id=answer["data"]["trackingId"])
        return {d["token"] for d in client.send(done["trackingId"])["deliveries"]}

    assert "fcm-ayse-redmi" not in engaged_tokens()
    opened = client.open(ayse["id"])
    assert opened["openedAt"] is not None
    assert "fcm-ayse-redmi" in engaged_tokens()


def test_lists_page_through_everything_unless_limited(emulator: RunningEmulator) -> None:
    client = emulator.client
    client.rate_limits.set(default={"capacity": 10**6, "refillPerSecond": 10**6})
    with httpx.Client(base_url=emulator.base_url, headers=DEMO) as app:
        for index in range(520):
            assert app.post("/push/sendInstant", json=inline_send(n=index)).status_code == 200
    everything = client.sends()
    assert len(everything) == 520  # past one page of the API (500 at most)
    assert [s["request"]["n"] for s in everything[:2]] == [519, 518]
    assert len({s["id"] for s in everything}) == 520
    assert [s["request"]["n"] for s in client.sends(limit=505)][-1] == 15
    assert len(client.sends_page()["items"]) == 50  # one page, as its name says
    assert len(client.requests()) == 520
    assert len(client.requests_page(limit=10)["items"]) == 10


def test_the_notification_is_the_sends_text_in_one_place(emulator: RunningEmulator) -> None:
    send_to(emulator, content={"title": "Hello {%= $Contact.first_name %}", "message": "m"})
    shown = emulator.client.last_send()["notification"]
    assert shown == {"language": None, "title": "Hello {%= $Contact.first_name %}", "message": "m"}
    multi = {
        "defaultLanguage": "TR",
        "contents": [
            {"language": "EN", "title": "Hi", "message": "x"},
            {"language": "TR", "title": "Merhaba", "message": "y"},
        ],
    }
    send_to(emulator, content=None, multiLangContent=multi)
    assert emulator.client.last_send()["notification"]["title"] == "Merhaba"
    assert emulator.client.last_send()["notification"]["language"] == "TR"


def test_send_takes_the_start_of_a_tracking_id_as_the_inbox_shows_it(
    emulator: RunningEmulator,
) -> None:
    one = send_to(emulator, trackingId="0b7d4c2e-1111-4222-8333-444455556666")
    send_to(emulator, trackingId="0b7d4c2e-9999-4222-8333-444455556666")
    send_to(emulator, trackingId="5a5a5a5a-1111-4222-8333-444455556666")
    assert emulator.client.send("5a5a5a5a")["trackingId"].startswith("5a5a5a5a")
    assert emulator.client.send("0B7D4C2E-1111")["transactionId"] == one["transactionId"]
    with pytest.raises(EmulatorError) as ambiguous:
        emulator.client.send("0b7d4c2e")
    assert ambiguous.value.status == 400
    assert "'0b7d4c2e' starts more than one tracking id" in str(ambiguous.value)
    with pytest.raises(EmulatorError) as missing:
        emulator.client.send("ffff")
    assert missing.value.status == 404


def test_events_yield_each_event_as_it_happens(emulator: RunningEmulator) -> None:
    events = emulator.client.events(kinds="send")
    got: list[Event] = []

    def read_one() -> None:
        got.append(next(events))

    reader = threading.Thread(target=read_one)
    reader.start()
    # The stream answers once subscribed; a send after that cannot be missed, so send until
    # the reader has one (a few at most, while the request is still on its way).
    while reader.is_alive():
        send_to(emulator)
        reader.join(0.2)
    events.close()
    [event] = got
    assert event.kind == "send"
    assert set(event.data) >= {"id", "trackingId", "status"}


def test_dispatch_now_fans_a_scheduled_send_out_for_a_test_to_wait_on(
    emulator: RunningEmulator,
) -> None:
    tracking = send_to(emulator, scheduleDate="2099-01-01 09:00")["data"]["trackingId"]
    moved = emulator.client.dispatch_now(tracking)
    assert (moved["trackingId"], moved["scheduledFor"]) == (tracking, "2099-01-01T09:00:00Z")
    [done] = emulator.client.wait_for_sends(tracking_id=tracking, timeout=10)
    assert done["status"] == "Completed"
    with pytest.raises(EmulatorError) as refused:
        emulator.client.dispatch_now(tracking)  # Completed now, no longer Scheduled
    assert refused.value.status == 409
