"""What the device routes answer (registry records, contacts, pushes shown, outcome rules),
typed once: the client's return types, and the OpenAPI document's schemas with examples."""

from typing import Any

from pydantic import ConfigDict, with_config

# Pydantic reads a TypedDict (for the OpenAPI schemas) only from typing_extensions before
# Python 3.12; to a type checker it is the same as typing's.
from typing_extensions import TypedDict

DEVICE_EXAMPLE: dict[str, Any] = {
    "token": "fcm-ada-pixel8",
    "applicationId": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b",
    "contactKey": "c-001",
    "language": "EN",
    "engaged": True,
    "deviceType": "Android Phone",
    "browser": None,
    "status": "active",
    "outcome": "delivered",
}
CONTACT_EXAMPLE: dict[str, Any] = {
    "tableId": "0d4e8b2a-6c1f-4a3e-9b5d-7f2a4c6e8b0d",
    "contactKey": "c-001",
    "fields": {"first_name": "Ada", "city": "London"},
}
PUSH_EXAMPLE: dict[str, Any] = {
    "deliveryId": 41,
    "sendId": 7,
    "trackingId": "0b7d4c2e-1111-4222-8333-444455556666",
    "transactionId": "5f0e2d1c-2222-4333-8444-555566667777",
    "kind": "instant",
    "token": "fcm-ada-pixel8",
    "applicationId": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b",
    "platform": "android",
    "contactKey": "c-001",
    "language": "EN",
    "title": "Hi Ada!",
    "message": "Your order shipped",
    "targetUrl": "https://shop.example.com/orders/1",
    "mediaUrl": None,
    "extra": {},
    "shownAt": "2030-06-01T12:00:00.250000Z",
    "openedAt": None,
    "clickedAt": None,
}
OUTCOME_RULE_EXAMPLE: dict[str, Any] = {
    "rule": {
        "name": "iOS throttled",
        "match": {"platform": "ios"},
        "outcome": "throttled",
        "trigger": {"probability": 0.3, "seed": 7},
    },
    "fired": 2,
    "remaining": None,
    "expiresAt": None,
    "active": True,
}


def _example(example: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


@with_config(_example(DEVICE_EXAMPLE))
class DeviceRecord(TypedDict):
    """A device as devices.json spells it: POST takes it back."""

    token: str
    applicationId: str
    contactKey: str | None
    language: str | None
    engaged: bool
    deviceType: str | None
    browser: str | None
    status: str  # active or unregistered
    outcome: str  # what its deliveries get: delivered, unregistered, invalidToken, ...


@with_config(_example({"items": [DEVICE_EXAMPLE], "nextCursor": None}))
class DevicePage(TypedDict):
    items: list[DeviceRecord]
    nextCursor: str | None


@with_config(_example(CONTACT_EXAMPLE))
class ContactItem(TypedDict):
    """A contact of a table: its key and the fields personalisation reads."""

    tableId: str
    contactKey: str
    fields: dict[str, Any]


@with_config(_example({"items": [CONTACT_EXAMPLE], "nextCursor": None}))
class ContactPage(TypedDict):
    items: list[ContactItem]
    nextCursor: str | None


@with_config(_example(PUSH_EXAMPLE))
class PushItem(TypedDict):
    """A push as its device showed it: an inbox item, or a device feed's `push` event."""

    deliveryId: int
    sendId: int
    trackingId: str
    transactionId: str
    kind: str
    token: str
    applicationId: str
    platform: str
    contactKey: str | None
    language: str | None
    title: str | None
    message: str | None
    targetUrl: str | None
    mediaUrl: str | None
    extra: dict[str, Any]
    shownAt: str
    openedAt: str | None
    clickedAt: str | None


@with_config(_example({"items": [PUSH_EXAMPLE], "nextCursor": None}))
class PushPage(TypedDict):
    items: list[PushItem]
    nextCursor: str | None


@with_config(_example(OUTCOME_RULE_EXAMPLE))
class OutcomeRuleStatus(TypedDict):
    """An outcome rule in force, how often it fired, and what is left of its trigger."""

    rule: dict[str, Any]
    fired: int
    remaining: int | None
    expiresAt: str | None
    active: bool
