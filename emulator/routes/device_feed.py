"""A device's own feed: what it was shown (`/inbox`) and each push as it arrives (`/events`).

A local app or a service-worker shim can act as that device: read the stream, show each
`push` event as a notification, and call /_emulator/deliveries/{deliveryId}/open or /click.
"""

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import StreamingResponse

from emulator.events import PUSH, Event
from emulator.filters import PAGE_PARAMS, Filter, openapi_parameters
from emulator.routes.deps import RuntimeDep
from emulator.routes.events import event_stream, sse_response
from emulator.routes.registry import ApplicationQuery, paged_query, paging, query_of
from emulator.storage.deliveries import device_inbox
from emulator.web import JsonResponse

router = APIRouter(tags=["device feed"])

_APPLICATION = Filter("applicationId", "only pushes from this application", "id")
InboxQuery = paged_query("InboxQuery", (_APPLICATION,))

_PUSH_EXAMPLE: dict[str, Any] = {
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


class PushItem(BaseModel):
    """A push as its device showed it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_PUSH_EXAMPLE]})

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


class PushPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_PUSH_EXAMPLE], "nextCursor": None}]}
    )

    items: list[PushItem]
    nextCursor: str | None


_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: a `push` event per delivery shown on the device",
        "content": {
            "text/event-stream": {
                "schema": {"type": "string"},
                "example": 'event: push\ndata: {"deliveryId": 41, "title": "Hi Ada!", ...}\n\n',
            }
        },
    }
}


@router.get(
    "/devices/{token:path}/inbox",
    response_model=PushPage,
    openapi_extra={"parameters": openapi_parameters((_APPLICATION,), PAGE_PARAMS)},
)
async def inbox(token: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """What the device with this token was shown (its delivered pushes), newest first."""
    query = query_of(InboxQuery, request)
    app_id = query.model_dump().get("applicationId")
    cursor, limit = paging(query)
    app = app_id.lower() if app_id else None
    page = await runtime.read(lambda c: device_inbox(c, token, app, cursor, limit))
    return JsonResponse(page.to_json())


@router.get("/devices/{token:path}/events", response_class=StreamingResponse, responses=_STREAM_DOC)
async def events(token: str, request: Request, runtime: RuntimeDep) -> StreamingResponse:
    """Each push the device is shown from now on, as a `push` event (JSON data: the same
    fields as an inbox item), the moment it is delivered; a delayed delivery arrives when
    the emulator's clock reaches it."""
    app_id = query_of(ApplicationQuery, request).applicationId
    app = app_id.lower() if app_id else None

    def accept(event: Event) -> bool:
        return app is None or event.data.get("applicationId") == app

    return sse_response(event_stream(runtime.events, frozenset({PUSH}), token, accept))
