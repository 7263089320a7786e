"""What several /_emulator routes share in their docs: a shape, and examples of the answers."""

from typing import Any

from emulator.openapi import Shape


class Deleted(Shape):
    deleted: int


TRACKING_ID = "8d3f1c62-2b9e-4c1a-9f7e-3a6b5c4d2e10"
SEND_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "kind": "instant",
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
    "notification": {
        "language": None,
        "title": "Merhaba {%= $Contact.first_name %}",
        "message": "Order shipped",
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
    "contactKey": None,
    "traceId": None,
    "tags": [],
    "targets": None,
    "current": None,
    "language": None,
    "inboxParams": None,
    "fallbackChannel": None,
    "readAt": None,
}
DELIVERY_EXAMPLE: dict[str, Any] = {
    "id": 1,
    "token": "fcm-token-ayse-pixel",
    "applicationId": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b",
    "platform": "android",
    "contactKey": "c-001",
    "language": "tr",
    "deviceLanguage": "tr",
    "deviceType": "Android",
    "browser": None,
    "title": "Merhaba Ayşe",
    "message": "Order shipped",
    "targetUrl": None,
    "mediaUrl": None,
    "extra": {},
    "status": "Delivered",
    "outcome": "delivered",
    "reason": None,
    "createdAt": "2030-01-01T09:00:00.170000Z",
    "finalAt": "2030-01-01T09:00:00.170000Z",
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
    "repeatOf": None,
}
SEND_DETAIL_EXAMPLE = {**SEND_EXAMPLE, "deliveries": [DELIVERY_EXAMPLE], "others": []}
EXPORTED_EXAMPLE = {**SEND_EXAMPLE, "deliveries": [DELIVERY_EXAMPLE]}
SEND_PAGE_EXAMPLE = {"items": [SEND_EXAMPLE], "nextCursor": None}
REQUEST_PAGE_EXAMPLE = {"items": [REQUEST_EXAMPLE], "nextCursor": "41"}
