"""/_emulator/devices and /_emulator/contacts: the live registry (calls push/registry.py)."""

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, create_model

from emulator.bodies import parse_json_body, validate
from emulator.filters import (
    CONTACT_FILTERS,
    DEVICE_FILTERS,
    PAGE_PARAMS,
    Filter,
    openapi_parameters,
)
from emulator.push import registry
from emulator.routes.deps import RuntimeDep
from emulator.storage.paging import Page, parse_cursor, parse_limit
from emulator.web import JsonResponse

router = APIRouter(tags=["registry"])


class StrictQuery(BaseModel):
    # A parameter the route does not know is a 400, never silently ignored.
    model_config = ConfigDict(extra="forbid")


class PagedQuery(StrictQuery):
    limit: Annotated[int, Field(ge=1)] | None = None
    cursor: str | None = None


def paged_query(name: str, filters: tuple[Filter, ...]) -> type[PagedQuery]:
    """The declared filters as optional text fields beside limit and cursor."""
    fields: dict[str, Any] = {f.param: (str | None, None) for f in filters}
    return create_model(name, __base__=PagedQuery, **fields)


class ApplicationQuery(StrictQuery):
    """Names the device's application when its token is registered in more than one."""

    applicationId: str | None = None


DeviceQuery = paged_query("DeviceQuery", DEVICE_FILTERS)
ContactQuery = paged_query("ContactQuery", CONTACT_FILTERS)


def query_of(model: type[StrictQuery], request: Request) -> Any:
    return validate(model, dict(request.query_params))


def paging(query: PagedQuery) -> tuple[int | None, int]:
    return parse_cursor(query.cursor), parse_limit(query.limit)


# Response models: what each route answers, with an example (the OpenAPI document shows it).

_DEVICE_EXAMPLE: dict[str, Any] = {
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
_CONTACT_EXAMPLE: dict[str, Any] = {
    "tableId": "0d4e8b2a-6c1f-4a3e-9b5d-7f2a4c6e8b0d",
    "contactKey": "c-001",
    "fields": {"first_name": "Ada", "city": "London"},
}


class DeviceRecord(BaseModel):
    """A device as devices.json spells it."""

    model_config = ConfigDict(json_schema_extra={"examples": [_DEVICE_EXAMPLE]})

    token: str
    applicationId: str
    contactKey: str | None
    language: str | None
    engaged: bool
    deviceType: str | None
    browser: str | None
    status: str
    outcome: str


class DevicePage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_DEVICE_EXAMPLE], "nextCursor": None}]}
    )

    items: list[DeviceRecord]
    nextCursor: str | None


class ContactItem(BaseModel):
    """A contact of a table: its key and the fields personalisation reads."""

    model_config = ConfigDict(json_schema_extra={"examples": [_CONTACT_EXAMPLE]})

    tableId: str
    contactKey: str
    fields: dict[str, Any]


class ContactPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": [_CONTACT_EXAMPLE], "nextCursor": None}]}
    )

    items: list[ContactItem]
    nextCursor: str | None


def _body_doc(example: Any) -> dict[str, Any]:
    """An OpenAPI request body for a route that reads its JSON itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "example": example}},
        }
    }


def _page(page: Page) -> JsonResponse:
    return JsonResponse(page.to_json())


# Devices --------------------------------------------------------------------------------


@router.get(
    "/devices",
    response_model=DevicePage,
    openapi_extra={"parameters": openapi_parameters(DEVICE_FILTERS, PAGE_PARAMS)},
)
async def devices(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """The registry's devices in the order they were loaded or added; page on with
    `cursor=<nextCursor>`."""
    query = query_of(DeviceQuery, request)
    given = query.model_dump(exclude_none=True)
    filters = registry.DeviceQuery(
        application_id=given["applicationId"].lower() if "applicationId" in given else None,
        contact_key=given.get("contactKey"),
        token=given.get("token"),
        status=given.get("status"),
    )
    cursor, limit = paging(query)
    return _page(registry.list_devices(runtime.fixtures, filters, cursor, limit))


@router.post(
    "/devices",
    status_code=201,
    response_model=DevicePage,
    openapi_extra=_body_doc([_DEVICE_EXAMPLE]),
)
async def add_devices(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Register one device or a list, validated exactly as devices.json (400 naming the
    record and field; 409 for a token the application has already). The next send sees
    them; a reset restores the fixture folder."""
    data = parse_json_body(await request.body())
    added = runtime.change_fixtures(lambda fixtures: registry.add_devices(fixtures, data))
    items = [registry.device_json(device) for device in added]
    return JsonResponse({"items": items, "nextCursor": None}, status_code=201)


@router.get("/devices/{token:path}", response_model=DeviceRecord)
async def device(token: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """One device; `applicationId` names its application if the token is in several."""
    app_id = query_of(ApplicationQuery, request).applicationId
    return JsonResponse(registry.device_json(registry.find_device(runtime.fixtures, token, app_id)))


@router.patch(
    "/devices/{token:path}",
    response_model=DeviceRecord,
    openapi_extra=_body_doc({"status": "unregistered", "outcome": "throttled"}),
)
async def change_device(token: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Change status, engaged, language, contactKey or outcome; the next send sees it."""
    app_id = query_of(ApplicationQuery, request).applicationId
    data = parse_json_body(await request.body())
    changed = runtime.change_fixtures(
        lambda fixtures: registry.change_device(fixtures, token, app_id, data)
    )
    return JsonResponse(registry.device_json(changed))


@router.delete("/devices/{token:path}", response_model=DeviceRecord)
async def remove_device(token: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Remove a device; its recorded deliveries stay."""
    app_id = query_of(ApplicationQuery, request).applicationId
    removed = runtime.change_fixtures(
        lambda fixtures: registry.remove_device(fixtures, token, app_id)
    )
    return JsonResponse(registry.device_json(removed))


# Contacts -------------------------------------------------------------------------------


@router.get(
    "/contacts",
    response_model=ContactPage,
    openapi_extra={"parameters": openapi_parameters(CONTACT_FILTERS, PAGE_PARAMS)},
)
async def contacts(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """The tables' contacts, table by table, then those added since."""
    query = query_of(ContactQuery, request)
    given = query.model_dump(exclude_none=True)
    filters = registry.ContactQuery(
        table_id=given["tableId"].lower() if "tableId" in given else None,
        contact_key=given.get("contactKey"),
    )
    cursor, limit = paging(query)
    return _page(registry.list_contacts(runtime.fixtures, filters, cursor, limit))


@router.post(
    "/contacts/{table_id}",
    status_code=201,
    response_model=ContactPage,
    openapi_extra=_body_doc([{"contactKey": "c-100", "first_name": "Ada"}]),
)
async def add_contacts(table_id: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Add one contact or a list to a table, validated as tables.json's contacts (409 for a
    key the table holds)."""
    query_of(StrictQuery, request)
    data = parse_json_body(await request.body())
    added = runtime.change_fixtures(
        lambda fixtures: registry.add_contacts(fixtures, table_id, data)
    )
    return JsonResponse({"items": added, "nextCursor": None}, status_code=201)


@router.get("/contacts/{table_id}/{contact_key:path}", response_model=ContactItem)
async def contact(
    table_id: str, contact_key: str, request: Request, runtime: RuntimeDep
) -> JsonResponse:
    query_of(StrictQuery, request)
    return JsonResponse(registry.find_contact(runtime.fixtures, table_id, contact_key))


@router.patch(
    "/contacts/{table_id}/{contact_key:path}",
    response_model=ContactItem,
    openapi_extra=_body_doc({"city": "Izmir", "first_name": None}),
)
async def change_contact(
    table_id: str, contact_key: str, request: Request, runtime: RuntimeDep
) -> JsonResponse:
    """Set fields (null removes one); the key cannot change."""
    query_of(StrictQuery, request)
    data = parse_json_body(await request.body())
    changed = runtime.change_fixtures(
        lambda fixtures: registry.change_contact(fixtures, table_id, contact_key, data)
    )
    return JsonResponse(changed)


@router.delete("/contacts/{table_id}/{contact_key:path}", response_model=ContactItem)
async def remove_contact(
    table_id: str, contact_key: str, request: Request, runtime: RuntimeDep
) -> JsonResponse:
    """Remove a contact from its table and that table's segments; its devices stay."""
    query_of(StrictQuery, request)
    removed = runtime.change_fixtures(
        lambda fixtures: registry.remove_contact(fixtures, table_id, contact_key)
    )
    return JsonResponse(removed)
