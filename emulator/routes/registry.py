"""/_emulator/devices and /_emulator/contacts: the live registry (calls push/registry.py)."""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import create_model

from emulator.bodies import parse_json_body, validate
from emulator.device_shapes import (
    DEVICE_EXAMPLE,
    ContactItem,
    ContactPage,
    DevicePage,
    DeviceRecord,
)
from emulator.filters import (
    APPLICATION_PARAMS,
    CONTACT_FILTERS,
    DEVICE_FILTERS,
    PAGE_PARAMS,
    Filter,
    openapi_parameters,
)
from emulator.push import registry
from emulator.push.fixtures import FixtureSet
from emulator.routes.deps import RuntimeDep
from emulator.routes.inspect import Paging, declared_query
from emulator.runtime import Runtime
from emulator.storage.paging import Page, parse_cursor, parse_limit
from emulator.web import JsonResponse

router = APIRouter(tags=["registry"])


def paged_query(name: str, filters: tuple[Filter, ...]) -> type[Paging]:
    """The declared filters as optional text fields beside limit and cursor, so wrong
    values are named 400s."""
    fields: dict[str, Any] = {f.param: (str | None, None) for f in filters}
    return create_model(name, __base__=Paging, **fields)


DeviceQuery = paged_query("DeviceQuery", DEVICE_FILTERS)
ContactQuery = paged_query("ContactQuery", CONTACT_FILTERS)


def application_of(request: Request) -> str | None:
    """The `applicationId` naming a device's application, if given; nothing else is taken."""
    return declared_query(request, APPLICATION_PARAMS).get("applicationId") or None


def paged(request: Request, model: type[Paging], filters: tuple[Filter, ...]) -> Any:
    """A list's query: declared filters and paging only, their values validated."""
    return validate(model, declared_query(request, filters, PAGE_PARAMS))


def paging(query: Paging) -> tuple[int | None, int]:
    return parse_cursor(query.cursor), parse_limit(query.limit)


def _listing(
    request: Request,
    runtime: Runtime,
    model: type[Paging],
    filters: tuple[Filter, ...],
    lister: Callable[[FixtureSet, dict[str, str], int | None, int], Page],
) -> JsonResponse:
    """One page of a registry list, after its filters and paging are validated."""
    query = paged(request, model, filters)
    cursor, limit = paging(query)
    given = query.model_dump(exclude_none=True, exclude={"limit", "cursor"})
    return JsonResponse(lister(runtime.fixtures, given, cursor, limit).to_json())


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
    return _listing(request, runtime, DeviceQuery, DEVICE_FILTERS, registry.list_devices)


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


_APPLICATION_DOC = {"parameters": openapi_parameters(APPLICATION_PARAMS)}


@router.get("/devices/{token:path}", response_model=DeviceRecord, openapi_extra=_APPLICATION_DOC)
async def device(token: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """One device; `applicationId` names its application if the token is in several."""
    app_id = application_of(request)
    return JsonResponse(registry.device_json(registry.find_device(runtime.fixtures, token, app_id)))


@router.patch(
    "/devices/{token:path}",
    response_model=DeviceRecord,
    openapi_extra={
        **_APPLICATION_DOC,
        **_body_doc({"status": "unregistered", "outcome": "throttled"}),
    },
)
async def change_device(token: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Change status, engaged, language, contactKey or outcome; the next send sees it."""
    app_id = application_of(request)
    data = parse_json_body(await request.body())
    changed = runtime.change_fixtures(
        lambda fixtures: registry.change_device(fixtures, token, app_id, data)
    )
    return JsonResponse(registry.device_json(changed))


@router.delete("/devices/{token:path}", response_model=DeviceRecord, openapi_extra=_APPLICATION_DOC)
async def remove_device(token: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Remove a device; its recorded deliveries stay."""
    app_id = application_of(request)
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
    return _listing(request, runtime, ContactQuery, CONTACT_FILTERS, registry.list_contacts)


@router.post(
    "/contacts/{table_id}",
    status_code=201,
    response_model=ContactPage,
    openapi_extra=_body_doc([{"contactKey": "c-100", "first_name": "Ada"}]),
)
async def add_contacts(table_id: str, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Add one contact or a list to a table, validated as tables.json's contacts (409 for a
    key the table holds)."""
    declared_query(request)
    data = parse_json_body(await request.body())
    added = runtime.change_fixtures(
        lambda fixtures: registry.add_contacts(fixtures, table_id, data)
    )
    return JsonResponse({"items": added, "nextCursor": None}, status_code=201)


@router.get("/contacts/{table_id}/{contact_key:path}", response_model=ContactItem)
async def contact(
    table_id: str, contact_key: str, request: Request, runtime: RuntimeDep
) -> JsonResponse:
    declared_query(request)
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
    declared_query(request)
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
    declared_query(request)
    removed = runtime.change_fixtures(
        lambda fixtures: registry.remove_contact(fixtures, table_id, contact_key)
    )
    return JsonResponse(removed)
