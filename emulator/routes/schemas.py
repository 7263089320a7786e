"""The answers several /_emulator routes share, as documented shapes with examples."""

from datetime import datetime
from typing import Any, Literal

from emulator.openapi import Shape, checked

SendStatus = Literal["Queued", "Scheduled", "Sending", "Completed"]


class SendItem(Shape):
    """A stored send, as GET /_emulator/sends lists it."""

    id: int
    trackingId: str
    transactionId: str
    status: SendStatus
    receivedAt: datetime
    updatedAt: datetime
    scheduleAt: datetime | None
    completedAt: datetime | None
    apiUser: str
    clientIp: str
    request: Any  # the body as received (text when it was not JSON)
    content: dict[str, Any]  # the resolved content: templates copied in
    applicationIds: list[str]
    allApplications: bool
    segmentId: str | None
    tableId: str | None
    templateIds: list[str]
    useOnlyEngagedTokens: bool
    warnings: list[str]
    response: dict[str, Any]  # the answer the caller got
    deliveryCount: int


class Delivery(Shape):
    """What one device was sent: the rendered text in its language, and what it did with it."""

    id: int
    token: str
    applicationId: str
    platform: Literal["android", "ios", "web"]
    contactKey: str | None
    language: str | None
    deviceType: str | None
    browser: str | None
    title: str | None
    message: str | None
    targetUrl: str | None
    mediaUrl: str | None
    extra: dict[str, Any]
    status: Literal["Delivered", "Failed"]
    reason: str | None
    createdAt: datetime
    openedAt: datetime | None
    clickedAt: datetime | None


class OtherSend(Shape):
    """An older send that reused the tracking id."""

    transactionId: str
    status: SendStatus
    receivedAt: datetime


class SendDetail(SendItem):
    deliveries: list[Delivery]
    others: list[OtherSend]


class ExportedSend(SendItem):
    """One line of the NDJSON export."""

    deliveries: list[Delivery]


class SendPage(Shape):
    items: list[SendItem]
    nextCursor: str | None  # pass as `cursor` for the next page; null on the last


class RequestItem(Shape):
    """One journaled /rest request; secrets in headers and body are masked."""

    id: int
    receivedAt: datetime
    method: str
    path: str
    query: str
    status: int  # 0: the connection was dropped by a fault rule
    apiUser: str | None
    clientIp: str
    latencyMs: float
    headers: dict[str, str]
    body: str
    bodyTruncated: bool
    error: str | None
    trackingId: str | None
    fault: str | None  # the fault rule that fired


class RequestPage(Shape):
    items: list[RequestItem]
    nextCursor: str | None


class Deleted(Shape):
    deleted: int


TRACKING_ID = "8d3f1c62-2b9e-4c1a-9f7e-3a6b5c4d2e10"
SEND_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "trackingId": TRACKING_ID,
    "transactionId": "0c9e5d2a-7f41-4b8e-a3c6-1d2e3f4a5b6c",
    "status": "Completed",
    "receivedAt": "2030-01-01T09:00:00.120000Z",
    "updatedAt": "2030-01-01T09:00:00.180000Z",
    "scheduleAt": None,
    "completedAt": "2030-01-01T09:00:00.180000Z",
    "apiUser": "demo-user",
    "clientIp": "127.0.0.1",
    "request": {
        "applicationIds": ["3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"],
        "content": {"title": "Merhaba {%= $Contact.first_name %}", "message": "Order shipped"},
    },
    "content": {
        "content": {"title": "Merhaba {%= $Contact.first_name %}", "message": "Order shipped"}
    },
    "applicationIds": ["3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"],
    "allApplications": False,
    "segmentId": None,
    "tableId": None,
    "templateIds": [],
    "useOnlyEngagedTokens": False,
    "warnings": [],
    "response": {
        "code": 0,
        "message": "Successful",
        "transactionId": "0c9e5d2a-7f41-4b8e-a3c6-1d2e3f4a5b6c",
        "data": {"trackingId": TRACKING_ID},
    },
    "deliveryCount": 1,
}
DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "token": "fcm-token-ayse-pixel",
    "applicationId": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b",
    "platform": "android",
    "contactKey": "c-001",
    "language": "tr",
    "deviceType": "Android",
    "browser": None,
    "title": "Merhaba Ayşe",
    "message": "Order shipped",
    "targetUrl": None,
    "mediaUrl": None,
    "extra": {},
    "status": "Delivered",
    "reason": None,
    "createdAt": "2030-01-01T09:00:00.170000Z",
    "openedAt": None,
    "clickedAt": None,
}
REQUEST_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "receivedAt": "2030-01-01T09:00:00.120000Z",
    "method": "POST",
    "path": "/rest/push/sendInstant",
    "query": "",
    "status": 200,
    "apiUser": "demo-user",
    "clientIp": "127.0.0.1",
    "latencyMs": 2.4,
    "headers": {"authorization": "Bearer demo…en", "content-type": "application/json"},
    "body": '{"content": {"title": "Hi"}}',
    "bodyTruncated": False,
    "error": None,
    "trackingId": TRACKING_ID,
    "fault": None,
}
SEND_DETAIL_EXAMPLE = checked(
    SendDetail, {**SEND_EXAMPLE, "deliveries": [DELIVERY_EXAMPLE], "others": []}
)
EXPORTED_EXAMPLE = checked(ExportedSend, {**SEND_EXAMPLE, "deliveries": [DELIVERY_EXAMPLE]})
SEND_PAGE_EXAMPLE = checked(SendPage, {"items": [SEND_EXAMPLE], "nextCursor": None})
REQUEST_PAGE_EXAMPLE = checked(RequestPage, {"items": [REQUEST_EXAMPLE], "nextCursor": "41"})
