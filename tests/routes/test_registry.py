"""/_emulator/devices and /_emulator/contacts over HTTP: changes reach the next send, bad
calls are clear 400s (or 409s) that change nothing, and a reset restores the fixtures."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.demo import (
    ANDROID_APP,
    BOOKING_CONTENT,
    DEMO,
    IOS_APP,
    MASTER_TABLE,
    WEB_APP,
)
from tests.support.devices import by_token, send_and_fan_out

ADA = {
    "token": "fcm-ada-tablet",
    "applicationId": ANDROID_APP,
    "contactKey": "c-100",
    "language": "TR",
    "deviceType": "Android Tablet",
}
ADA_WEB = {
    "token": "web-ada-laptop",
    "applicationId": WEB_APP,
    "contactKey": "c-100",
    "browser": "Firefox",
}


def snapshot(client: TestClient) -> Any:
    return client.get("/_emulator/fixtures").json()


def test_devices_are_listed_filtered_and_paged(client: TestClient) -> None:
    page = client.get("/_emulator/devices", params={"applicationId": IOS_APP.upper(), "limit": 4})
    assert page.status_code == 200
    first = page.json()
    assert [d["token"] for d in first["items"]] == [
        "apns-grace-iphone15",
        "apns-lena-iphone13",
        "apns-alan-ipad",
        "apns-pierre-iphone",
    ]
    assert first["items"][0] == {
        "token": "apns-grace-iphone15",
        "applicationId": IOS_APP,
        "contactKey": "c-006",
        "language": "EN",
        "engaged": True,
        "deviceType": "iPhone",
        "browser": None,
        "status": "active",
        "outcome": "delivered",
    }
    rest = client.get(
        "/_emulator/devices", params={"applicationId": IOS_APP, "cursor": first["nextCursor"]}
    ).json()
    assert [d["token"] for d in rest["items"]] == ["apns-weber-iphone", "apns-mehmet-iphone"]
    assert rest["nextCursor"] is None
    by_contact = client.get("/_emulator/devices", params={"contactKey": "c-001"}).json()["items"]
    assert [d["token"] for d in by_contact] == ["fcm-ada-pixel8", "web-ada-chrome"]
    gone = client.get("/_emulator/devices", params={"status": "unregistered"}).json()["items"]
    assert [d["token"] for d in gone] == ["fcm-old-handset"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        (
            {"applicationid": "x"},
            "unknown filter 'applicationid'; did you mean 'applicationId'? Known: "
            "applicationId, contactKey, token, status, limit, cursor",
        ),
        ({"status": "gone"}, "status: must be one of active, unregistered, got 'gone'"),
        ({"limit": "0"}, "limit: must be at least 1"),
        ({"cursor": "x"}, "cursor: not a cursor this server gave out: 'x'"),
    ],
)
def test_a_bad_listing_is_a_400(client: TestClient, params: dict[str, str], problem: str) -> None:
    response = client.get("/_emulator/devices", params=params)
    assert response.status_code == 400
    assert response.json()["errors"] == [problem]


def test_a_contact_with_two_devices_is_reached_by_the_next_sends(client: TestClient) -> None:
    added = client.post(
        f"/_emulator/contacts/{MASTER_TABLE}",
        json={"contactKey": "c-100", "first_name": "Ada", "language": "TR"},
    )
    assert added.status_code == 201
    response = client.post("/_emulator/devices", json=[ADA, ADA_WEB])
    assert response.status_code == 201
    assert [d["token"] for d in response.json()["items"]] == ["fcm-ada-tablet", "web-ada-laptop"]
    send = send_and_fan_out(
        client,
        applicationIds=[ANDROID_APP, WEB_APP],
        tableId=MASTER_TABLE,
        content={"title": "Hi {%= $Contact.first_name %}"},
    )
    deliveries = by_token(send)
    assert deliveries["fcm-ada-tablet"]["title"] == "Hi Ada"
    assert deliveries["web-ada-laptop"]["browser"] == "Firefox"
    # A transactional push to every device of the new contact.
    push = {"contentId": BOOKING_CONTENT, "contactKey": "c-100", "sendToAll": True}
    answer = client.post("/rest/transactional/push", json=push, headers=DEMO).json()
    assert answer["code"] == 0
    assert len(answer["data"]["trackingIds"]) == 2


def test_a_bad_registry_call_is_a_clear_400_and_changes_nothing(client: TestClient) -> None:
    before = snapshot(client)
    response = client.post(
        "/_emulator/devices", json=[ADA, {**ADA_WEB, "applicationId": "not-a-guid"}]
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": 400,
        "message": "body: record 1 (token 'web-ada-laptop'): applicationId: must be a GUID "
        "(8-4-4-4-12 hexadecimal digits)",
        "errors": [
            "body: record 1 (token 'web-ada-laptop'): applicationId: must be a GUID "
            "(8-4-4-4-12 hexadecimal digits)"
        ],
    }
    assert client.patch("/_emulator/devices/fcm-ada-pixel8", json={"status": 1}).status_code == 400
    assert client.post("/_emulator/devices", content=b"{not json").status_code == 400
    assert snapshot(client) == before  # not even the valid first record was added
    assert "fcm-ada-tablet" not in by_token(send_and_fan_out(client))


def test_a_token_already_registered_is_a_409_that_changes_nothing(client: TestClient) -> None:
    before = snapshot(client)
    taken = {"token": "fcm-ada-pixel8", "applicationId": ANDROID_APP}
    response = client.post("/_emulator/devices", json=[ADA, taken])
    assert response.status_code == 409
    problem = (
        "body: record 1 (token 'fcm-ada-pixel8'): token 'fcm-ada-pixel8' is already "
        f"registered in application {ANDROID_APP}"
    )
    assert response.json() == {"code": 409, "message": problem, "errors": [problem]}
    assert snapshot(client) == before


def test_a_changed_device_behaves_so_from_the_next_send(client: TestClient) -> None:
    changed = client.patch(
        "/_emulator/devices/fcm-jonas-tab", json={"language": "EN", "outcome": "throttled"}
    )
    assert changed.json()["outcome"] == "throttled"
    client.patch("/_emulator/devices/fcm-old-handset", json={"status": "active"})
    deliveries = by_token(send_and_fan_out(client))
    assert (deliveries["fcm-jonas-tab"]["outcome"], deliveries["fcm-jonas-tab"]["reason"]) == (
        "throttled",
        "QUOTA_EXCEEDED",
    )
    assert deliveries["fcm-old-handset"]["status"] == "Delivered"


def test_a_removed_device_is_not_reached_and_its_deliveries_stay(client: TestClient) -> None:
    first = send_and_fan_out(client)
    removed = client.delete("/_emulator/devices/fcm-ayse-redmi")
    assert removed.json()["token"] == "fcm-ayse-redmi"
    assert client.get("/_emulator/devices/fcm-ayse-redmi").status_code == 404
    assert "fcm-ayse-redmi" not in by_token(send_and_fan_out(client))
    kept = client.get(f"/_emulator/sends/{first['transactionId']}").json()
    assert "fcm-ayse-redmi" in by_token(kept)
    assert client.delete("/_emulator/devices/fcm-ayse-redmi").json() == {
        "code": 404,
        "message": "No device with token 'fcm-ayse-redmi'.",
    }


def test_a_token_in_two_applications_needs_its_application(client: TestClient) -> None:
    client.post("/_emulator/devices", json={"token": "fcm-ada-pixel8", "applicationId": IOS_APP})
    ambiguous = client.patch("/_emulator/devices/fcm-ada-pixel8", json={"engaged": False})
    assert ambiguous.status_code == 400
    assert "registered in 2 applications" in ambiguous.json()["message"]
    named = client.patch(
        "/_emulator/devices/fcm-ada-pixel8",
        params={"applicationId": IOS_APP},
        json={"outcome": "senderMismatch"},
    )
    assert (named.json()["applicationId"], named.json()["outcome"]) == (IOS_APP, "senderMismatch")
    android = client.get("/_emulator/devices/fcm-ada-pixel8", params={"applicationId": ANDROID_APP})
    assert android.json()["outcome"] == "delivered"
    assert client.get("/_emulator/devices/x", params={"app": "y"}).status_code == 400


def test_a_reset_restores_the_fixtures_devices_and_contacts(client: TestClient) -> None:
    before = snapshot(client)
    client.post("/_emulator/devices", json=ADA)
    client.delete("/_emulator/devices/fcm-ada-pixel8")
    client.post(f"/_emulator/contacts/{MASTER_TABLE}", json={"contactKey": "c-100"})
    assert snapshot(client) != before
    client.post("/_emulator/reset")
    assert snapshot(client) == before


def test_contacts_are_listed_changed_and_removed_over_http(client: TestClient) -> None:
    listed = client.get("/_emulator/contacts", params={"tableId": MASTER_TABLE, "limit": 1})
    [first] = listed.json()["items"]
    assert (first["contactKey"], first["fields"]["first_name"]) == ("c-001", "Ada")
    assert listed.json()["nextCursor"] is not None
    changed = client.patch(
        f"/_emulator/contacts/{MASTER_TABLE}/c-001", json={"first_name": "Augusta"}
    )
    assert changed.json()["fields"]["first_name"] == "Augusta"
    send = send_and_fan_out(
        client, tableId=MASTER_TABLE, content={"title": "Hi {%= $Contact.first_name %}"}
    )
    assert by_token(send)["fcm-ada-pixel8"]["title"] == "Hi Augusta"
    assert client.delete(f"/_emulator/contacts/{MASTER_TABLE}/c-001").status_code == 200
    assert client.get(f"/_emulator/contacts/{MASTER_TABLE}/c-001").status_code == 404
    assert client.get("/_emulator/contacts", params={"segmentId": "x"}).status_code == 400
    duplicate = client.post(f"/_emulator/contacts/{MASTER_TABLE}", json={"contactKey": "c-002"})
    assert duplicate.status_code == 409
