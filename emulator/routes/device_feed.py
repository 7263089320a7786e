"""A device's own feed: what it was shown (`/inbox`) and each push as it arrives (`/events`).

A local app or a service-worker shim can act as that device: read the stream, show each
`push` event as a notification, and call /_emulator/deliveries/{deliveryId}/open or /click.
"""

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import StreamingResponse

from emulator.device_shapes import PushPage
from emulator.events import PUSH, Event
from emulator.filters import APPLICATION_PARAMS, PAGE_PARAMS, openapi_parameters
from emulator.routes.deps import RuntimeDep
from emulator.routes.events import event_stream, sse_response
from emulator.routes.registry import application_of, paged, paged_query, paging
from emulator.storage.deliveries import device_inbox
from emulator.web import JsonResponse

router = APIRouter(tags=["device feed"])

InboxQuery = paged_query("InboxQuery", APPLICATION_PARAMS)

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
    openapi_extra={"parameters": openapi_parameters(APPLICATION_PARAMS, PAGE_PARAMS)},
)
async def inbox(token: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """What the device with this token was shown (its delivered pushes), newest first."""
    query = paged(request, InboxQuery, APPLICATION_PARAMS)
    app_id = query.model_dump().get("applicationId")
    cursor, limit = paging(query)
    app = app_id.lower() if app_id else None
    page = await runtime.read(lambda c: device_inbox(c, token, app, cursor, limit))
    return JsonResponse(page.to_json())


@router.get(
    "/devices/{token:path}/events",
    response_class=StreamingResponse,
    responses=_STREAM_DOC,
    openapi_extra={"parameters": openapi_parameters(APPLICATION_PARAMS)},
)
async def events(token: str, request: Request, runtime: RuntimeDep) -> StreamingResponse:
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
