"""Helpers for tests of the device registry, outcomes and timing: one device per platform,
registry changes, and a send that waits for its fan-out."""

from typing import Any

from fastapi.testclient import TestClient

from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, WEB_APP, inline_send

# One active device of each platform in the bundled fixtures, with its application.
ONE_PER_PLATFORM = {
    "android": ("fcm-ayse-redmi", ANDROID_APP),
    "ios": ("apns-lena-iphone13", IOS_APP),
    "web": ("web-sofia-safari", WEB_APP),
}
EVERY_APP = [ANDROID_APP, IOS_APP, WEB_APP]


def change_device(client: TestClient, token: str, **changes: Any) -> dict[str, Any]:
    response = client.patch(f"/_emulator/devices/{token}", json=changes)
    assert response.status_code == 200, response.text
    changed: dict[str, Any] = response.json()
    return changed


def set_rules(client: TestClient, *rules: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.put("/_emulator/device-outcomes", json=list(rules))
    assert response.status_code == 200, response.text
    status: list[dict[str, Any]] = response.json()
    return status


def send_and_fan_out(client: TestClient, **extra: Any) -> dict[str, Any]:
    """Send, wait until the dispatcher has fanned it out, and answer the send's detail."""
    response = client.post("/rest/push/sendInstant", json=inline_send(**extra), headers=DEMO)
    assert response.status_code == 200, response.text
    assert runtime_of(client).dispatcher.wait_idle(timeout=30)
    detail: dict[str, Any] = client.get(
        f"/_emulator/sends/{response.json()['transactionId']}"
    ).json()
    return detail


def settle(client: TestClient) -> None:
    """After moving the clock: wait until the dispatcher has settled what became due."""
    runtime = runtime_of(client)
    runtime.dispatcher.wake()
    assert runtime.dispatcher.wait_idle(timeout=30)


def by_token(send: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {delivery["token"]: delivery for delivery in send["deliveries"]}
