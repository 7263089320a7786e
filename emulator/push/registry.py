"""The live device and contact registry: the fixtures in force, changed one record at a time.

The registry is the fixture set itself, kept in memory: each change makes a new FixtureSet,
as PUT /_emulator/fixtures and engagement already do. So the audience index, the
transactional look-ups and the inbox read it exactly as they read fixtures, with no SQL; a
change applies to the next send; a reset restores the fixture folder and a restart reloads
it, since a registry is what a test sets up, not recorded history. Every function here is
pure: it takes the fixtures in force and answers the new set (runtime.change_fixtures
applies it under a lock), or raises the 4xx that says why nothing changed.
"""

import dataclasses
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import ValidationError

from emulator.bodies import describe_errors
from emulator.errors import BadRequest, Conflict, NotFound
from emulator.push.fixtures import (
    Contact,
    Device,
    FixtureError,
    FixtureSet,
    Table,
    check_device_application,
    contact_key,
    device_key,
    parse_record,
    record_label,
)
from emulator.storage.paging import Page

# What PATCH /_emulator/devices/{token} may change; the token and application name the
# device, and changing them would make it another one.
DEVICE_CHANGES = ("status", "engaged", "language", "contactKey", "outcome")
DEVICE_STATUSES = ("active", "unregistered")

R = TypeVar("R")


def device_json(device: Device) -> dict[str, Any]:
    """A device as devices.json spells it, every field included: POST takes it back."""
    return device.model_dump(mode="json")


def contact_json(table: Table, contact: Contact) -> dict[str, Any]:
    fields = contact.fields()
    key = fields.pop("contactKey")
    return {"tableId": table.id, "contactKey": key, "fields": fields}


def _page(
    records: Sequence[R],
    number: Callable[[R], int],
    cursor: int | None,
    limit: int,
    shape: Callable[[R], Any],
) -> Page:
    """A page of records in number order, after the record numbered `cursor`."""
    start = 0 if cursor is None else bisect_right(records, cursor, key=number)
    chosen = records[start : start + limit + 1]
    more = len(chosen) > limit
    chosen = chosen[:limit]
    next_cursor = str(number(chosen[-1])) if more and chosen else None
    return Page([shape(record) for record in chosen], next_cursor)


def _records(data: Any, what: str) -> list[Any]:
    """One record (an object) or a list of them."""
    if isinstance(data, dict):
        return [data]
    if isinstance(data, list) and data and all(isinstance(r, dict) for r in data):
        return data
    raise BadRequest(
        [f"body: must be one {what} record (a JSON object) or a non-empty array of them"]
    )


def _changes(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict) or not data:
        raise BadRequest(["body: must be a JSON object of the fields to change"])
    return data


def _replace(fixtures: FixtureSet, **files: Any) -> FixtureSet:
    # A new set, so every index built from the old one (the audience index, the look-ups
    # by contact and token) is built again from this one.
    return dataclasses.replace(fixtures, **files)


# Devices --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceQuery:
    """GET /_emulator/devices' filters; None matches any."""

    application_id: str | None = None
    contact_key: str | None = None
    token: str | None = None
    status: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> "DeviceQuery":
        """From the API's query parameters (filters.DEVICE_FILTERS)."""
        app = params.get("applicationId")
        return cls(
            app.lower() if app else None,
            params.get("contactKey"),
            params.get("token"),
            params.get("status"),
        )

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in DEVICE_STATUSES:
            raise BadRequest(
                [f"status: must be one of {', '.join(DEVICE_STATUSES)}, got {self.status!r}"]
            )

    def matches(self, device: Device) -> bool:
        return (
            (self.application_id is None or device.applicationId.lower() == self.application_id)
            and (self.contact_key is None or device.contactKey == self.contact_key)
            and (self.token is None or device.token == self.token)
            and (self.status is None or device.status == self.status)
        )


def list_devices(
    fixtures: FixtureSet, params: Mapping[str, str], cursor: int | None, limit: int
) -> Page:
    """Devices in the order they were loaded or registered (the last is the newest)."""
    query = DeviceQuery.from_params(params)
    matching = [device for device in fixtures.devices if query.matches(device)]
    numbers = fixtures.device_numbers
    return _page(matching, lambda d: numbers[device_key(d)], cursor, limit, device_json)


def _device_index(fixtures: FixtureSet, token: str, application_id: str | None) -> int:
    """Where the device with this token is; its application is needed only when the token is
    registered in more than one."""
    found = [
        index
        for index, device in enumerate(fixtures.devices)
        if device.token == token
        and (application_id is None or device.applicationId.lower() == application_id.lower())
    ]
    if not found:
        where = f" in application {application_id!r}" if application_id else ""
        raise NotFound(f"No device with token {token!r}{where}.")
    if len(found) > 1:
        apps = ", ".join(fixtures.devices[i].applicationId for i in found)
        problem = (
            f"applicationId: token {token!r} is registered in {len(found)} applications "
            f"({apps}); name one with ?applicationId="
        )
        raise BadRequest([problem])
    return found[0]


def find_device(fixtures: FixtureSet, token: str, application_id: str | None) -> Device:
    return fixtures.devices[_device_index(fixtures, token, application_id)]


def add_devices(fixtures: FixtureSet, data: Any) -> tuple[FixtureSet, list[Device]]:
    """Validated exactly as devices.json: a 400 names the record and field, a token already
    registered in that application (or given twice) is a 409."""
    records = _records(data, "device")
    try:
        added = [parse_record(Device, raw, "body", index) for index, raw in enumerate(records)]
        for index, device in enumerate(added):
            check_device_application(device, fixtures, "body", index)
    except FixtureError as error:
        raise BadRequest([str(error)]) from None
    taken = {device_key(device) for device in fixtures.devices}
    for index, device in enumerate(added):
        key = device_key(device)
        if key in taken:
            raise Conflict(
                [
                    f"body: {record_label(index, records[index])}: token {device.token!r} is "
                    f"already registered in application {device.applicationId}"
                ]
            )
        taken.add(key)
    return _replace(fixtures, devices=[*fixtures.devices, *added]), added


def change_device(
    fixtures: FixtureSet, token: str, application_id: str | None, data: Any
) -> tuple[FixtureSet, Device]:
    """PATCH: the fields of DEVICE_CHANGES, validated as devices.json validates them."""
    changes = _changes(data)
    index = _device_index(fixtures, token, application_id)
    problems = [
        f"{name}: cannot be changed; PATCH takes {', '.join(DEVICE_CHANGES)}"
        + (" (delete the device and add another)" if name in {"token", "applicationId"} else "")
        for name in changes
        if name not in DEVICE_CHANGES
    ]
    if problems:
        raise BadRequest(problems)
    device = fixtures.devices[index]
    try:
        changed = Device.model_validate({**device.model_dump(), **changes})
    except ValidationError as error:
        raise BadRequest(describe_errors(error)) from None
    devices = list(fixtures.devices)
    devices[index] = changed
    return _replace(fixtures, devices=devices), changed


def remove_device(
    fixtures: FixtureSet, token: str, application_id: str | None
) -> tuple[FixtureSet, Device]:
    index = _device_index(fixtures, token, application_id)
    devices = list(fixtures.devices)
    removed = devices.pop(index)
    return _replace(fixtures, devices=devices), removed


def _set_devices(
    fixtures: FixtureSet, pairs: set[tuple[str, str]], **update: Any
) -> FixtureSet | None:
    """The set with `update` applied to the devices named by (lower-case application id,
    token) that it would change; None when it changes none."""
    devices = list(fixtures.devices)
    changed = False
    for index, device in enumerate(devices):
        if (device.applicationId.lower(), device.token) in pairs and any(
            getattr(device, name) != value for name, value in update.items()
        ):
            devices[index] = device.model_copy(update=update)
            changed = True
    # Only non-key fields changed: every device and contact keeps its number as it is.
    return _replace(fixtures, devices=devices, renumber=False) if changed else None


def unregister_devices(fixtures: FixtureSet, pairs: set[tuple[str, str]]) -> FixtureSet | None:
    """Token clean-up: devices whose delivery came back unregistered or invalid."""
    return _set_devices(fixtures, pairs, status="unregistered")


def engage_device(fixtures: FixtureSet, application_id: str, token: str) -> FixtureSet | None:
    """The device that opened or clicked a push, engaged; None when it is not registered
    (or engaged already)."""
    return _set_devices(fixtures, {(application_id.lower(), token)}, engaged=True)


# Contacts -------------------------------------------------------------------------------


def list_contacts(
    fixtures: FixtureSet, params: Mapping[str, str], cursor: int | None, limit: int
) -> Page:
    """Contacts table by table, then those added since; filters.CONTACT_FILTERS' params."""
    table_id = params["tableId"].lower() if params.get("tableId") else None
    contact_key_filter = params.get("contactKey")
    numbers = fixtures.contact_numbers
    matching = sorted(
        (
            (numbers[contact_key(table, contact)], table, contact)
            for table in fixtures.tables
            if table_id is None or table.id.lower() == table_id
            for contact in table.contacts
            if contact_key_filter is None or contact.contactKey == contact_key_filter
        ),
        key=lambda found: found[0],
    )
    return _page(
        matching, lambda found: found[0], cursor, limit, lambda f: contact_json(f[1], f[2])
    )


def _table_index(fixtures: FixtureSet, table_id: str) -> int:
    for index, table in enumerate(fixtures.tables):
        if table.id.lower() == table_id.lower():
            return index
    raise NotFound(f"No table with id {table_id!r} in tables.json.")


def _contact_index(table: Table, key: str) -> int:
    for index, contact in enumerate(table.contacts):
        if contact.contactKey == key:
            return index
    raise NotFound(f"No contact {key!r} in table {table.id!r}.")


def _with_table(fixtures: FixtureSet, index: int, table: Table) -> FixtureSet:
    tables = list(fixtures.tables)
    tables[index] = table
    return _replace(fixtures, tables=tables)


def find_contact(fixtures: FixtureSet, table_id: str, key: str) -> dict[str, Any]:
    table = fixtures.tables[_table_index(fixtures, table_id)]
    return contact_json(table, table.contacts[_contact_index(table, key)])


def add_contacts(
    fixtures: FixtureSet, table_id: str, data: Any
) -> tuple[FixtureSet, list[dict[str, Any]]]:
    """Validated as a contact of tables.json; a key the table holds already is a 409."""
    index = _table_index(fixtures, table_id)
    table = fixtures.tables[index]
    records = _records(data, "contact")
    try:
        added = [parse_record(Contact, raw, "body", i) for i, raw in enumerate(records)]
    except FixtureError as error:
        raise BadRequest([str(error)]) from None
    taken = {contact.contactKey for contact in table.contacts}
    for i, contact in enumerate(added):
        if contact.contactKey in taken:
            raise Conflict(
                [
                    f"body: {record_label(i, records[i])}: contactKey {contact.contactKey!r} is "
                    f"already in table {table.id}"
                ]
            )
        taken.add(contact.contactKey)
    changed = table.model_copy(update={"contacts": [*table.contacts, *added]})
    return _with_table(fixtures, index, changed), [contact_json(changed, c) for c in added]


def change_contact(
    fixtures: FixtureSet, table_id: str, key: str, data: Any
) -> tuple[FixtureSet, dict[str, Any]]:
    """PATCH: fields set to a value are set, fields set to null removed; the key stays."""
    changes = _changes(data)
    if "contactKey" in changes:
        raise BadRequest(["contactKey: names the contact and cannot be changed"])
    index = _table_index(fixtures, table_id)
    table = fixtures.tables[index]
    at = _contact_index(table, key)
    contact = table.contacts[at]
    fields = {**contact.fields(), **changes}
    try:
        changed = Contact.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as error:
        raise BadRequest(describe_errors(error)) from None
    contacts = list(table.contacts)
    contacts[at] = changed
    new_table = table.model_copy(update={"contacts": contacts})
    return _with_table(fixtures, index, new_table), contact_json(new_table, changed)


def remove_contact(
    fixtures: FixtureSet, table_id: str, key: str
) -> tuple[FixtureSet, dict[str, Any]]:
    """The contact leaves its table and that table's segments; its devices keep their key
    (a device whose contact no table holds still renders with its own key)."""
    index = _table_index(fixtures, table_id)
    table = fixtures.tables[index]
    contacts = list(table.contacts)
    removed = contacts.pop(_contact_index(table, key))
    segments = [
        segment.model_copy(update={"contactKeys": [k for k in segment.contactKeys if k != key]})
        if segment.tableId.lower() == table.id.lower()
        else segment
        for segment in fixtures.segments
    ]
    new_table = table.model_copy(update={"contacts": contacts})
    tables = list(fixtures.tables)
    tables[index] = new_table
    return _replace(fixtures, tables=tables, segments=segments), contact_json(table, removed)
