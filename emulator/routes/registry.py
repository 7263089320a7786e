"""/_emulator/devices and /_emulator/contacts: the live registry (calls push/registry.py)."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, create_model

from emulator.bodies import parse_json_body, validate
from emulator.device_shapes import (
    DEVICE_EXAMPLE,
    ContactItem,
    ContactPage,
    DevicePage,
    DeviceRecord,
)
from emulator.filters import (
    CONTACT_FILTERS,
    DEVICE_FILTERS,
    PAGE_PARAMS,
    Filter,
    openapi_parameters,
)
from emulator.push import registry
from emulator.push.fixtures import FixtureSet
from emulator.routes.deps import RuntimeDep
from emulator.routes.inspect import Paging
from emulator.runtime import Runtime
from emulator.storage.paging import Page, parse_cursor, parse_limit
from emulator.web import JsonResponse

router = APIRouter(tags=["registry"])


class StrictQuery(BaseModel):
    # A parameter the route does not know is a 400, never silently ignored.
    model_config = ConfigDict(extra="forbid")


class PagedQuery(Paging):
    model_config = StrictQuery.model_config


def paged_query(name: str, filters: tuple[Filter, ...]) -> type[PagedQuery]:
    """The declared filters as optional text fields beside limit and cursor."""
    fields: dict[str, Any] = {f.param: (str | None, None) for f in filters}
    return create_model(name, __base__=PagedQuery, **fields)


class ApplicationQuery(StrictQuery):
    """Names the device's application when its token is registered in more than one."""

    applicationId: str | None = None


DeviceQuery = paged_query("DeviceQuery", DEVICE_FILTERS)
ContactQuery = paged_query("ContactQuery", CONTACT_FILTERS)


def query_of(model: type[BaseModel], request: Request) -> Any:
    return validate(model, dict(request.query_params))


def paging(query: PagedQuery) -> tuple[int | None, int]:
    return parse_cursor(query.cursor), parse_limit(query.limit)


def _listing(
    request: Request,
    runtime: Runtime,
    model: type[PagedQuery],
    lister: Callable[[FixtureSet, dict[str, str], int | None, int], Page],
) -> JsonResponse:
    """One page of a registry list, after its filters and paging are validated."""
    query = query_of(model, request)
    cursor, limit = paging(query)
    filters = query.model_dump(exclude_none=True, exclude={"limit", "cursor"})
    return JsonResponse(lister(runtime.fixtures, filters, cursor, limit).to_json())


def _body_doc(example: Any) -> dict[str, Any]:
    """An OpenAPI request body for a route that reads its JSON itself."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "example": example}},
        }
    }


# Devices --------------------------------------------------------------------------------


@router.get(
    "/devices",
    response_model=DevicePage,
    openapi_extra={"parameters": openapi_parameters(DEVICE_FILTERS, PAGE_PARAMS)},
)
async def devices(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """The registry's devices in the order they were loaded or added; page on with
    `cursor=<nextCursor>`."""
    return _listing(request, runtime, DeviceQuery, registry.list_devices)


@router.post(
    "/devices",
    status_code=201,
    response_model=DevicePage,
    openapi_extra=_body_doc([DEVICE_EXAMPLE]),
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
    return _listing(request, runtime, ContactQuery, registry.list_contacts)


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
