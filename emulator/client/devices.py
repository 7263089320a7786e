"""The client's device methods: the registry (devices, contacts), outcome rules, and what a
device was shown. A mixin of EmulatorClient, kept apart from the sends and the controls."""

from collections.abc import Callable, Mapping
from typing import Any, cast
from urllib.parse import quote

from emulator.client.keywords import query_params
from emulator.client.shapes import ContactItem, DeviceRecord, OutcomeRuleState, PushItem
from emulator.filters import APPLICATION_PARAMS, CONTACT_FILTERS, DEVICE_FILTERS, PAGE_PARAMS

# PATCH /_emulator/devices/{token}'s fields, by the client's keywords.
DEVICE_CHANGES = {"status", "engaged", "language", "contact_key", "outcome"}


class DeviceMethods:
    """`devices()`, `add_devices()`, `update_device()`, ..., `set_outcomes()`, `outcomes()`."""

    _call: Callable[..., Any]
    _every_page: Callable[[str, dict[str, str]], list[Any]]

    # Devices

    def devices(self, **filters: Any) -> list[DeviceRecord]:
        """Every registered device, oldest first, through as many pages as it takes;
        filters `application_id`, `contact_key`, `token`, `status`, `limit`."""
        params = query_params("devices", filters, DEVICE_FILTERS, PAGE_PARAMS)
        return cast(list[DeviceRecord], self._every_page("/devices", params))

    def device(self, token: str, application_id: str | None = None) -> DeviceRecord:
        """One device (`application_id` when the token is registered in several)."""
        return cast(
            DeviceRecord, self._call("GET", _device_path(token), params=_app(application_id))
        )

    def add_devices(self, *devices: Mapping[str, Any]) -> list[DeviceRecord]:
        """Register devices, each a devices.json record; the next send reaches them."""
        added = self._call("POST", "/devices", json=[dict(d) for d in devices])
        return cast(list[DeviceRecord], added["items"])

    def update_device(
        self, token: str, application_id: str | None = None, **changes: Any
    ) -> DeviceRecord:
        """Change `status`, `engaged`, `language`, `contact_key` or `outcome`; another
        keyword is a TypeError before any call."""
        unknown = sorted(set(changes) - DEVICE_CHANGES)
        if unknown:
            raise TypeError(
                f"update_device() got unknown change(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(DEVICE_CHANGES))}"
            )
        body = {_camel(name): value for name, value in changes.items()}
        params = _app(application_id)
        return cast(
            DeviceRecord, self._call("PATCH", _device_path(token), params=params, json=body)
        )

    def delete_device(self, token: str, application_id: str | None = None) -> DeviceRecord:
        params = _app(application_id)
        return cast(DeviceRecord, self._call("DELETE", _device_path(token), params=params))

    def device_inbox(self, token: str, **filters: Any) -> list[PushItem]:
        """What the device with this token was shown, newest first (`application_id`,
        `limit`)."""
        params = query_params("device_inbox", filters, APPLICATION_PARAMS, PAGE_PARAMS)
        return cast(list[PushItem], self._every_page(_device_path(token) + "/inbox", params))

    # Contacts

    def contacts(self, **filters: Any) -> list[ContactItem]:
        """Every contact of the tables; filters `table_id`, `contact_key`, `limit`."""
        params = query_params("contacts", filters, CONTACT_FILTERS, PAGE_PARAMS)
        return cast(list[ContactItem], self._every_page("/contacts", params))

    def add_contacts(self, table_id: str, *contacts: Mapping[str, Any]) -> list[ContactItem]:
        """Add contacts ({"contactKey": ..., any fields}) to a table."""
        added = self._call("POST", f"/contacts/{table_id}", json=[dict(c) for c in contacts])
        return cast(list[ContactItem], added["items"])

    def update_contact(self, table_id: str, contact_key: str, **fields: Any) -> ContactItem:
        """Set a contact's fields; a field set to None is removed."""
        return cast(
            ContactItem, self._call("PATCH", _contact_path(table_id, contact_key), json=fields)
        )

    def delete_contact(self, table_id: str, contact_key: str) -> ContactItem:
        return cast(ContactItem, self._call("DELETE", _contact_path(table_id, contact_key)))

    # Outcome rules

    def set_outcomes(self, *rules: Mapping[str, Any]) -> list[OutcomeRuleState]:
        """Replace the device outcome rules, e.g. `set_outcomes({"match": {"platform": "ios"},
        "outcome": "throttled", "trigger": {"probability": 0.3, "seed": 7}})`; none clears."""
        body = [dict(rule) for rule in rules]
        return cast(list[OutcomeRuleState], self._call("PUT", "/device-outcomes", json=body))

    def outcomes(self) -> list[OutcomeRuleState]:
        """The rules in force, each with how often it `fired`."""
        return cast(list[OutcomeRuleState], self._call("GET", "/device-outcomes"))

    def clear_outcomes(self) -> None:
        self._call("DELETE", "/device-outcomes")


def _device_path(token: str) -> str:
    # Web push tokens may be URLs: every character but the unreserved ones is escaped.
    return "/devices/" + quote(token, safe="")


def _contact_path(table_id: str, contact_key: str) -> str:
    return f"/contacts/{table_id}/{quote(contact_key, safe='')}"


def _app(application_id: str | None) -> dict[str, str]:
    return {"applicationId": application_id} if application_id else {}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
