"""GET /rest/push/sendInstant: the delivery report's counts, its 404s, 400s and auth."""

from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from emulator.app import create_app
from emulator.settings import Settings
from emulator.storage.tables import Delivery
from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, WEB_APP, inline_send
from tests.support.stored import journal

_deliveries = Delivery.__table__  # type: ignore[attr-defined]
UNKNOWN = "00000000-0000-4000-8000-000000000000"


def send_and_settle(client: TestClient, **extra: Any) -> str:
    response = client.post("/rest/push/sendInstant", json=inline_send(**extra), headers=DEMO)
    assert response.status_code == 200, response.text
    assert runtime_of(client).dispatcher.wait_idle(timeout=30)
    tracking_id: str = response.json()["data"]["trackingId"]
    return tracking_id


def report(client: TestClient, tracking_id: str, application_id: str) -> httpx2.Response:
    return client.get(
        "/rest/push/sendInstant",
        params={"trackingId": tracking_id, "applicationId": application_id},
        headers=DEMO,
    )


def mark(client: TestClient, tokens: list[str], **values: Any) -> None:
    """Set delivery columns directly, as the open/click endpoints would."""
    runtime = runtime_of(client)
    runtime.writer.run_sync(
        lambda c: c.execute(
            update(_deliveries).where(_deliveries.c.token.in_(tokens)).values(**values)
        )
    )


def test_a_completed_sends_report_for_one_application(client: TestClient) -> None:
    runtime = runtime_of(client)
    runtime.clock.freeze(datetime(2030, 6, 1, 12, 0, 0, 250000, tzinfo=UTC))
    tracking_id = send_and_settle(client, applicationIds=[ANDROID_APP, IOS_APP])
    response = report(client, tracking_id, ANDROID_APP)
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["message"]) == (0, "Successful")
    assert isinstance(body["transactionId"], str)
    assert body["data"] == {
        "status": "Completed",
        "createdAt": "2030-06-01T12:00:00.250Z",
        "totalDeliveredCount": 6,
        "totalOpenCount": 0,
        "totalBounceCount": 1,  # the unregistered handset bounces
        "totalErrorCount": 0,
        "errorMessage": None,
        "browsers": [],
        "deviceTypes": [
            {"itemName": "Android Phone", "deliveredCount": 5, "openCount": 0},
            {"itemName": "Android Tablet", "deliveredCount": 1, "openCount": 0},
        ],
    }
    ios = report(client, tracking_id, IOS_APP).json()["data"]
    assert (ios["totalDeliveredCount"], ios["totalBounceCount"]) == (6, 0)
    assert ios["deviceTypes"] == [
        {"itemName": "iPad", "deliveredCount": 1, "openCount": 0},
        {"itemName": "iPhone", "deliveredCount": 5, "openCount": 0},
    ]


def test_opens_and_browsers_are_counted(client: TestClient) -> None:
    tracking_id = send_and_settle(client, applicationIds=[WEB_APP])
    now = datetime(2030, 1, 1, tzinfo=UTC)
    mark(client, ["web-ada-chrome", "web-jonas-firefox"], opened_at=now)
    mark(client, ["web-zeynep-chrome"], clicked_at=now)  # a click implies an open
    data = report(client, tracking_id.upper(), WEB_APP.upper()).json()["data"]
    assert (data["totalDeliveredCount"], data["totalOpenCount"]) == (7, 3)
    assert data["browsers"] == [
        {"itemName": "Chrome", "deliveredCount": 3, "openCount": 2},
        {"itemName": "Edge", "deliveredCount": 1, "openCount": 0},
        {"itemName": "Firefox", "deliveredCount": 2, "openCount": 1},
        {"itemName": "Safari", "deliveredCount": 1, "openCount": 0},
    ]
    assert data["deviceTypes"] == [
        {"itemName": "Desktop", "deliveredCount": 6, "openCount": 3},
        {"itemName": "Mobile", "deliveredCount": 1, "openCount": 0},
    ]


def test_other_failures_count_as_errors_with_their_reason(client: TestClient) -> None:
    tracking_id = send_and_settle(client)
    mark(client, ["fcm-ayse-redmi"], status="Failed", reason="InvalidToken")
    data = report(client, tracking_id, ANDROID_APP).json()["data"]
    assert (data["totalDeliveredCount"], data["totalBounceCount"]) == (5, 1)
    assert (data["totalErrorCount"], data["errorMessage"]) == (1, "InvalidToken")


def test_an_application_the_send_did_not_target_has_zero_counts(client: TestClient) -> None:
    tracking_id = send_and_settle(client)
    data = report(client, tracking_id, WEB_APP).json()["data"]
    assert data["totalDeliveredCount"] == data["totalBounceCount"] == 0
    assert data["browsers"] == data["deviceTypes"] == []


def test_a_reused_tracking_id_reports_the_latest_send(client: TestClient) -> None:
    tracking_id = "0b7d4c2e-1111-4222-8333-444455556666"
    send_and_settle(client, trackingId=tracking_id)
    send_and_settle(
        client,
        trackingId=tracking_id,
        applicationIds=[ANDROID_APP],
        segmentId=None,
        useOnlyEngagedTokens=True,
    )
    data = report(client, tracking_id, ANDROID_APP).json()["data"]
    assert data["totalDeliveredCount"] == 3  # the engaged-only send's devices


def test_an_unknown_tracking_id_is_a_404_in_the_envelope(client: TestClient) -> None:
    response = report(client, UNKNOWN, ANDROID_APP)
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": f"No send with trackingId {UNKNOWN!r}."}


def test_a_send_not_yet_completed_is_a_404(client: TestClient) -> None:
    runtime = runtime_of(client)
    runtime.dispatcher.stop()
    response = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    tracking_id = response.json()["data"]["trackingId"]
    answer = report(client, tracking_id, ANDROID_APP)
    assert answer.status_code == 404
    assert answer.json()["message"] == (
        f"No delivery report yet: the send with trackingId {tracking_id!r} is Queued."
    )


def test_a_scheduled_send_has_no_report_until_it_is_due(client: TestClient) -> None:
    tracking_id = send_and_settle(client, scheduleDate="2999-01-01")
    assert report(client, tracking_id, ANDROID_APP).status_code == 404
    runtime_of(client).clock.freeze(datetime(2999, 1, 1, tzinfo=UTC))
    assert runtime_of(client).dispatcher.wait_idle(timeout=30)
    assert report(client, tracking_id, ANDROID_APP).status_code == 200


@pytest.mark.parametrize(
    ("query", "problems"),
    [
        (
            {},
            [
                "trackingId: is required (a query parameter)",
                "applicationId: is required (a query parameter)",
            ],
        ),
        ({"trackingId": UNKNOWN}, ["applicationId: is required (a query parameter)"]),
        (
            {"trackingId": "nope", "applicationId": ANDROID_APP},
            ["trackingId: must be a GUID (8-4-4-4-12 hexadecimal digits)"],
        ),
        (
            {"trackingId": UNKNOWN, "applicationId": ""},
            ["applicationId: is required (a query parameter)"],
        ),
        (
            {"trackingId": UNKNOWN, "applicationId": "3f1c2a9e"},
            ["applicationId: must be a GUID (8-4-4-4-12 hexadecimal digits)"],
        ),
    ],
)
def test_missing_or_malformed_query_parameters_are_400s_naming_them(
    client: TestClient, query: dict[str, str], problems: list[str]
) -> None:
    response = client.get("/rest/push/sendInstant", params=query, headers=DEMO)
    assert response.status_code == 400
    assert response.json() == {"code": 400, "message": "; ".join(problems), "errors": problems}


def test_the_report_needs_a_token_with_the_push_permission(client: TestClient) -> None:
    query = {"trackingId": UNKNOWN, "applicationId": ANDROID_APP}
    assert client.get("/rest/push/sendInstant", params=query).status_code == 401
    refused = client.get(
        "/rest/push/sendInstant", params=query, headers={"Authorization": "Bearer readonly-token"}
    )
    assert refused.status_code == 403


def test_the_report_shares_the_callers_rate_limit(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_capacity": 1, "rate_refill": 0.0})
    with TestClient(create_app(limited)) as client:
        query = {"trackingId": UNKNOWN, "applicationId": ANDROID_APP}
        assert client.get("/rest/push/sendInstant", params=query, headers=DEMO).status_code == 404
        answer = client.get("/rest/push/sendInstant", params=query, headers=DEMO)
        assert answer.status_code == 429
        assert answer.json()["message"] == "TooManyRequest"


def test_report_calls_are_journaled_with_their_tracking_id(client: TestClient) -> None:
    report(client, UNKNOWN, ANDROID_APP)
    [entry] = journal(client)
    assert (entry.method, entry.status, entry.tracking_id) == ("GET", 404, UNKNOWN)


def test_permanent_failures_bounce_and_the_rest_are_errors_named_by_the_most_common(
    client: TestClient,
) -> None:
    outcomes = {
        "fcm-ada-pixel8": "invalidToken",
        "fcm-mehmet-galaxy": "senderMismatch",
        "fcm-ayse-redmi": "throttled",
        "fcm-jonas-tab": "throttled",
        "fcm-zeynep-a54": "providerError",
    }
    for token, outcome in outcomes.items():
        client.patch(f"/_emulator/devices/{token}", json={"outcome": outcome})
    tracking_id = send_and_settle(client)
    data = report(client, tracking_id, ANDROID_APP).json()["data"]
    # Bounces: invalid, mismatch and the unregistered handset; errors: quota twice, FCM down.
    assert (data["totalDeliveredCount"], data["totalBounceCount"], data["totalErrorCount"]) == (
        1,
        3,
        3,
    )
    assert data["errorMessage"] == "QUOTA_EXCEEDED"
    assert data["deviceTypes"] == [
        {"itemName": "Android Phone", "deliveredCount": 1, "openCount": 0},
        {"itemName": "Android Tablet", "deliveredCount": 0, "openCount": 0},  # its one failed
    ]


def test_an_error_tie_names_the_first_reason_alphabetically(client: TestClient) -> None:
    client.patch("/_emulator/devices/apns-lena-iphone13", json={"outcome": "throttled"})
    client.patch("/_emulator/devices/apns-alan-ipad", json={"outcome": "providerError"})
    tracking_id = send_and_settle(client, applicationIds=[IOS_APP])
    data = report(client, tracking_id, IOS_APP).json()["data"]
    assert (data["totalErrorCount"], data["errorMessage"]) == (2, "429 TooManyRequests")
