"""A device's own feed: its inbox (what it was shown) and its SSE stream of pushes."""

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from queue import Queue
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from emulator.events import PUSH
from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, WEB_APP, inline_send
from tests.support.devices import EVERY_APP, change_device, send_and_fan_out, set_rules, settle
from tests.support.sse import events

NOON = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
SHIPPED = {
    "title": "Hi {%= $Contact.first_name %}",
    "message": "Your order shipped",
    "targetUrl": "https://shop.example.com/orders/1",
    "mediaUrl": "https://cdn.example.com/box.png",
}


def inbox(client: TestClient, token: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/_emulator/devices/{token}/inbox", params=params)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def test_the_inbox_shows_what_the_device_was_shown_newest_first(client: TestClient) -> None:
    runtime_of(client).clock.freeze(NOON)
    first = send_and_fan_out(client, content=SHIPPED)
    second = send_and_fan_out(client, content={"title": "Second"})
    items = inbox(client, "fcm-ada-pixel8")
    assert [i["trackingId"] for i in items] == [second["trackingId"], first["trackingId"]]
    assert items[1] == {
        "deliveryId": items[1]["deliveryId"],
        "sendId": first["id"],
        "trackingId": first["trackingId"],
        "transactionId": first["transactionId"],
        "kind": "instant",
        "token": "fcm-ada-pixel8",
        "applicationId": ANDROID_APP,
        "platform": "android",
        "contactKey": "c-001",
        "language": None,
        "title": "Hi Ada",
        "message": "Your order shipped",
        "targetUrl": "https://shop.example.com/orders/1",
        "mediaUrl": "https://cdn.example.com/box.png",
        "extra": {},
        "shownAt": "2030-06-01T12:00:00Z",
        "openedAt": None,
        "clickedAt": None,
    }


def test_failed_and_pending_deliveries_were_not_shown(client: TestClient) -> None:
    runtime_of(client).clock.freeze(NOON)
    send_and_fan_out(client)
    assert inbox(client, "fcm-old-handset") == []  # unregistered: it failed
    change_device(client, "fcm-ada-pixel8", outcome="throttled")
    set_rules(client, {"match": {"token": "fcm-jonas-tab"}, "deliveryDelay": {"ms": 1000}})
    send_and_fan_out(client)
    assert len(inbox(client, "fcm-ada-pixel8")) == 1  # only the first send reached it
    assert len(inbox(client, "fcm-jonas-tab")) == 1  # the second is on its way
    runtime_of(client).clock.advance(1)
    settle(client)
    assert len(inbox(client, "fcm-jonas-tab")) == 2


def test_the_inbox_pages_and_narrows_to_an_application(client: TestClient) -> None:
    client.post("/_emulator/devices", json={"token": "fcm-ada-pixel8", "applicationId": IOS_APP})
    for _ in range(3):
        send_and_fan_out(client, applicationIds=EVERY_APP)
    assert len(inbox(client, "fcm-ada-pixel8")) == 6
    ios = inbox(client, "fcm-ada-pixel8", applicationId=IOS_APP.upper())
    assert {i["platform"] for i in ios} == {"ios"}
    page = client.get("/_emulator/devices/fcm-ada-pixel8/inbox", params={"limit": 4}).json()
    rest = client.get(
        "/_emulator/devices/fcm-ada-pixel8/inbox", params={"cursor": page["nextCursor"]}
    ).json()
    assert len(page["items"]) + len(rest["items"]) == 6
    assert rest["nextCursor"] is None
    bad = client.get("/_emulator/devices/fcm-ada-pixel8/inbox", params={"app": WEB_APP})
    assert bad.status_code == 400


def test_the_stream_carries_a_push_for_its_device_only(client: TestClient) -> None:
    with client.stream("GET", "/_emulator/devices/web-ada-chrome/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ": connected"
        assert runtime_of(client).events.watched_devices() == {"web-ada-chrome"}
        send = send_and_fan_out(client, applicationIds=EVERY_APP, content=SHIPPED)
        kind, data = next(events(lines))
        assert kind == PUSH
        assert (data["token"], data["trackingId"], data["title"]) == (
            "web-ada-chrome",
            send["trackingId"],
            "Hi Ada",
        )
    assert runtime_of(client).events.watched_devices() == frozenset()


# As a device would: a real server, a stream read by another process ---------------------


@pytest.mark.process
def test_a_device_on_a_laptop_reads_its_pushes_from_a_real_server(tmp_path: Path) -> None:
    from tests.support.server import serving

    received: Queue[tuple[str, dict[str, Any]]] = Queue()
    connected = threading.Event()
    with serving(tmp_path) as url, httpx.Client(base_url=url, timeout=30) as http:

        def listen() -> None:
            stream_url = f"{url}/_emulator/devices/fcm-ada-pixel8/events"
            with httpx.stream("GET", stream_url, timeout=60) as response:
                lines: Iterator[str] = response.iter_lines()
                assert next(lines) == ": connected"
                connected.set()
                for event in events(lines):
                    received.put(event)

        threading.Thread(target=listen, daemon=True).start()
        assert connected.wait(30)
        http.put("/_emulator/clock", json={"mode": "frozen", "at": "2030-06-01T12:00:00Z"})

        def send(**extra: Any) -> str:
            answer = http.post("/rest/push/sendInstant", json=inline_send(**extra), headers=DEMO)
            assert answer.status_code == 200, answer.text
            tracking_id: str = answer.json()["data"]["trackingId"]
            return tracking_id

        first = send(
            multiLangContent={
                "defaultLanguage": "TR",
                "contents": [
                    {"language": "TR", "title": "Merhaba"},
                    {"language": "EN", **SHIPPED},
                ],
            },
            content=None,
        )
        kind, push = received.get(timeout=30)
        assert kind == "push"
        assert (push["trackingId"], push["language"], push["title"]) == (first, "EN", "Hi Ada")
        assert (push["message"], push["targetUrl"], push["mediaUrl"]) == (
            SHIPPED["message"],
            SHIPPED["targetUrl"],
            SHIPPED["mediaUrl"],
        )
        # A delayed push arrives when the emulator's clock reaches it, not before.
        rule = {"match": {"token": "fcm-ada-pixel8"}, "deliveryDelay": {"ms": 60_000}}
        http.put("/_emulator/device-outcomes", json=[rule])
        later = send(content={"title": "Later"})
        send(applicationIds=[IOS_APP], content={"title": "Not for this device"})
        http.get("/_emulator/sends/wait", params={"count": 1, "applicationId": IOS_APP})
        assert received.empty()
        http.post("/_emulator/clock/advance", json={"seconds": 60})
        kind, push = received.get(timeout=30)
        assert (push["trackingId"], push["title"], push["shownAt"]) == (
            later,
            "Later",
            "2030-06-01T12:01:00Z",
        )
        shown = http.get("/_emulator/devices/fcm-ada-pixel8/inbox").json()["items"]
        assert [i["trackingId"] for i in shown] == [later, first]
