"""A device's own feed: what it was shown (`/inbox`) and each push as it arrives (`/events`).

A local app or a service-worker shim can act as that device: read the stream, show each
`push` event as a notification, and call /_emulator/deliveries/{deliveryId}/open or /click.
"""

from typing import Any

from fastapi import APIRouter, Request

from emulator.client.shapes import PushItem, PushPage
from emulator.events import PUSH, Event
from emulator.filters import APPLICATION_PARAMS, PAGE_PARAMS, openapi_parameters
from emulator.openapi import EVENT_STREAM, JSON, answer, error, schema_of
from emulator.routes.deps import RuntimeDep
from emulator.routes.events import EventStreamResponse, event_stream, sse_response
from emulator.routes.registry import Token, application_of, paged, paged_query, paging
from emulator.storage.deliveries import device_inbox
from emulator.web import JsonResponse

router = APIRouter(tags=["device feed"])

InboxQuery = paged_query("InboxQuery", APPLICATION_PARAMS)

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
_BAD_QUERY = error(400, "unknown filter 'app'; Known: applicationId", "an unknown parameter")
_STREAM = {
    200: {
        "description": "Server-Sent Events: a `push` event per delivery shown on the device; "
        "`data` is JSON. `: connected` opens the stream once subscribed, `: keep-alive` "
        "follows every 15 s of silence.",
        "content": {
            EVENT_STREAM: {
                "schema": {"type": "string"},
                "itemSchema": {
                    "type": "object",
                    "properties": {
                        "event": {"const": PUSH},
                        "data": {
                            "type": "string",
                            "contentMediaType": JSON,
                            "contentSchema": schema_of(PushItem),
                        },
                    },
                    "required": ["event", "data"],
                },
                "example": ': connected\n\nevent: push\ndata: {"deliveryId":41,'
                '"title":"Hi Ada!"}\n\n',
            }
        },
    },
    **_BAD_QUERY,
}


@router.get(
    "/devices/{token:path}/inbox",
    responses={
        200: answer(PushPage, {"items": [PUSH_EXAMPLE], "nextCursor": None}, "one page"),
        **_BAD_QUERY,
    },
    openapi_extra={"parameters": openapi_parameters(APPLICATION_PARAMS, PAGE_PARAMS)},
)
async def inbox(token: Token, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """What the device with this token was shown (its delivered pushes), newest first."""
    query = paged(request, InboxQuery, APPLICATION_PARAMS)
    app_id = query.model_dump().get("applicationId")
    cursor, limit = paging(query)
    app = app_id.lower() if app_id else None
    page = await runtime.read(lambda c: device_inbox(c, token, app, cursor, limit))
    return JsonResponse(page.to_json())


@router.get(
    "/devices/{token:path}/events",
    response_class=EventStreamResponse,
    responses=_STREAM,
    openapi_extra={"parameters": openapi_parameters(APPLICATION_PARAMS)},
)
async def events(token: Token, request: Request, runtime: RuntimeDep) -> EventStreamResponse:
    """Each push the device is shown from now on, as a `push` event (JSON data: the same
    fields as an inbox item), the moment it is delivered; a delayed delivery arrives when
    the emulator's clock reaches it."""
    app_id = application_of(request)
    app = app_id.lower() if app_id else None

    def accept(event: Event) -> bool:
        return app is None or event.data.get("applicationId") == app

    return sse_response(
        event_stream(runtime.events, frozenset({PUSH}), device=token, accept=accept)
    )
