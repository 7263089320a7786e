"""/_emulator/devices and /_emulator/contacts: the live registry (calls push/registry.py)."""

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import create_model

from emulator.bodies import parse_json_body, validate
from emulator.client.shapes import ContactItem, ContactPage, DevicePage, DeviceRecord
from emulator.fanout.outcomes import OutcomeName
from emulator.filters import (
    APPLICATION_PARAMS,
    CONTACT_FILTERS,
    DEVICE_FILTERS,
    PAGE_PARAMS,
    Filter,
    openapi_parameters,
)
from emulator.openapi import Responses, Shape, answer, error, json_body
from emulator.push import registry
from emulator.push.fixtures import Contact, Device, FixtureSet
from emulator.routes.deps import RuntimeDep
from emulator.routes.inspect import Paging, declared_query
from emulator.runtime import Runtime
from emulator.storage.paging import Page, parse_cursor, parse_limit
from emulator.web import JsonResponse

router = APIRouter(tags=["registry"])

Token = Annotated[
    str, Path(description="the device's token (a web push endpoint's slashes escaped or not)")
]
TableId = Annotated[str, Path(description="the contact table's id, as tables.json has it")]
ContactKey = Annotated[str, Path(description="the contact's key")]


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


# What the routes answer, with examples (tests/routes/test_docs.py checks each one).

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
_NEW_DEVICE = {
    "token": "fcm-ada-tablet",
    "applicationId": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b",
    "contactKey": "c-001",
    "outcome": "throttled",
}
_CONTACT_EXAMPLE: dict[str, Any] = {
    "tableId": "0d4e8b2a-6c1f-4a3e-9b5d-7f2a4c6e8b0d",
    "contactKey": "c-001",
    "fields": {"first_name": "Ada", "city": "London"},
}


class DeviceChanges(Shape):
    """What PATCH changes; a field left out stays as it is."""

    status: Literal["active", "unregistered"] | None = None
    engaged: bool | None = None
    language: str | None = None
    contactKey: str | None = None  # null: an anonymous device
    outcome: OutcomeName | None = None


_DEVICE: Responses = {200: answer(DeviceRecord, DEVICE_EXAMPLE, "the device")}
_NO_DEVICE = error(404, "No device with token 'fcm-nobody'.", "no device has this token")
_TWO_APPS = error(
    400,
    "applicationId: token 'fcm-ada-pixel8' is registered in 2 applications (...); name one "
    "with ?applicationId=",
    "the token is in several applications, and none is named; or a bad field",
)
_CONTACT: Responses = {200: answer(ContactItem, _CONTACT_EXAMPLE, "the contact")}
_NO_CONTACT = error(404, "No contact 'c-999' in table '0d4e8b2a-...'.", "no such table or contact")


# Devices --------------------------------------------------------------------------------


@router.get(
    "/devices",
    responses={
        200: answer(DevicePage, {"items": [DEVICE_EXAMPLE], "nextCursor": "7"}, "one page"),
        **error(400, "unknown filter 'platform'; Known: ...", "an unknown filter, a bad value"),
    },
    openapi_extra={"parameters": openapi_parameters(DEVICE_FILTERS, PAGE_PARAMS)},
)
async def devices(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """The registry's devices in the order they were loaded or added; page on with
    `cursor=<nextCursor>`."""
    return _listing(request, runtime, DeviceQuery, DEVICE_FILTERS, registry.list_devices)


@router.post(
    "/devices",
    status_code=201,
    responses={
        201: answer(
            DevicePage,
            {"items": [{**DEVICE_EXAMPLE, **_NEW_DEVICE, "engaged": False}], "nextCursor": None},
            "the devices added",
        ),
        **error(
            400,
            "body: record 0 (token 'x'): applicationId: must be a GUID ...",
            "a record breaks a rule of devices.json; nothing was added",
        ),
        **error(
            409,
            "body: record 0 (token 'fcm-ada-pixel8'): token 'fcm-ada-pixel8' is already "
            "registered in application 3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b",
            "a token its application has already; nothing was added",
        ),
    },
    openapi_extra=json_body(Device | list[Device], [_NEW_DEVICE], "one device or an array"),
)
async def add_devices(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Register one device or a list, validated exactly as devices.json (400 naming the
    record and field; 409 for a token the application has already). The next send sees
    them; a reset restores the fixture folder."""
    declared_query(request)
    data = parse_json_body(await request.body())
    added = runtime.change_fixtures(lambda fixtures: registry.add_devices(fixtures, data))
    items = [registry.device_json(device) for device in added]
    return JsonResponse({"items": items, "nextCursor": None}, status_code=201)


_APPLICATION_DOC = {"parameters": openapi_parameters(APPLICATION_PARAMS)}


@router.get(
    "/devices/{token:path}",
    responses={**_DEVICE, **_TWO_APPS, **_NO_DEVICE},
    openapi_extra=_APPLICATION_DOC,
)
async def device(token: Token, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """One device; `applicationId` names its application if the token is in several."""
    app_id = application_of(request)
    return JsonResponse(registry.device_json(registry.find_device(runtime.fixtures, token, app_id)))


@router.patch(
    "/devices/{token:path}",
    responses={**_DEVICE, **_TWO_APPS, **_NO_DEVICE},
    openapi_extra={
        **_APPLICATION_DOC,
        **json_body(DeviceChanges, {"status": "unregistered", "outcome": "throttled"}),
    },
)
async def change_device(token: Token, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Change status, engaged, language, contactKey or outcome; the next send sees it."""
    app_id = application_of(request)
    data = parse_json_body(await request.body())
    changed = runtime.change_fixtures(
        lambda fixtures: registry.change_device(fixtures, token, app_id, data)
    )
    return JsonResponse(registry.device_json(changed))


@router.delete(
    "/devices/{token:path}",
    responses={**_DEVICE, **_TWO_APPS, **_NO_DEVICE},
    openapi_extra=_APPLICATION_DOC,
)
async def remove_device(token: Token, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Remove a device; its recorded deliveries stay."""
    app_id = application_of(request)
    removed = runtime.change_fixtures(
        lambda fixtures: registry.remove_device(fixtures, token, app_id)
    )
    return JsonResponse(registry.device_json(removed))


# Contacts -------------------------------------------------------------------------------


@router.get(
    "/contacts",
    responses={
        200: answer(ContactPage, {"items": [_CONTACT_EXAMPLE], "nextCursor": None}, "one page"),
        **error(400, "unknown filter 'segmentId'; Known: ...", "an unknown filter, a bad value"),
    },
    openapi_extra={"parameters": openapi_parameters(CONTACT_FILTERS, PAGE_PARAMS)},
)
async def contacts(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """The tables' contacts, table by table, then those added since."""
    return _listing(request, runtime, ContactQuery, CONTACT_FILTERS, registry.list_contacts)


@router.post(
    "/contacts/{table_id}",
    status_code=201,
    responses={
        201: answer(
            ContactPage,
            {"items": [{**_CONTACT_EXAMPLE, "contactKey": "c-100"}], "nextCursor": None},
            "the contacts added",
        ),
        **error(400, "body: record 0: contactKey: is required", "a record breaks a rule"),
        **error(404, "No table with id 'x' in tables.json.", "no such table"),
        **error(409, "body: record 0 (contactKey 'c-001'): ...", "a key the table holds"),
    },
    openapi_extra=json_body(
        Contact | list[Contact], [{"contactKey": "c-100", "first_name": "Ada"}], "contacts"
    ),
)
async def add_contacts(table_id: TableId, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Add one contact or a list to a table, validated as tables.json's contacts (409 for a
    key the table holds)."""
    declared_query(request)
    data = parse_json_body(await request.body())
    added = runtime.change_fixtures(
        lambda fixtures: registry.add_contacts(fixtures, table_id, data)
    )
    return JsonResponse({"items": added, "nextCursor": None}, status_code=201)


@router.get("/contacts/{table_id}/{contact_key:path}", responses={**_CONTACT, **_NO_CONTACT})
async def contact(
    table_id: TableId, contact_key: ContactKey, request: Request, runtime: RuntimeDep
) -> JsonResponse:
    """One contact of a table, with its fields."""
    declared_query(request)
    return JsonResponse(registry.find_contact(runtime.fixtures, table_id, contact_key))


@router.patch(
    "/contacts/{table_id}/{contact_key:path}",
    responses={
        **_CONTACT,
        **error(400, "contactKey: names the contact and cannot be changed", "a bad change"),
        **_NO_CONTACT,
    },
    openapi_extra=json_body(dict[str, Any], {"city": "Izmir", "first_name": None}, "fields"),
)
async def change_contact(
    table_id: TableId, contact_key: ContactKey, request: Request, runtime: RuntimeDep
) -> JsonResponse:
    """Set fields (null removes one); the key cannot change."""
    declared_query(request)
    data = parse_json_body(await request.body())
    changed = runtime.change_fixtures(
        lambda fixtures: registry.change_contact(fixtures, table_id, contact_key, data)
    )
    return JsonResponse(changed)


@router.delete("/contacts/{table_id}/{contact_key:path}", responses={**_CONTACT, **_NO_CONTACT})
async def remove_contact(
    table_id: TableId, contact_key: ContactKey, request: Request, runtime: RuntimeDep
) -> JsonResponse:
    """Remove a contact from its table and that table's segments; its devices stay."""
    declared_query(request)
    removed = runtime.change_fixtures(
        lambda fixtures: registry.remove_contact(fixtures, table_id, contact_key)
    )
    return JsonResponse(removed)
