"""Who a send reaches: its segment's, table's or applications' devices, with their contacts."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from emulator.push.fixtures import Application, Device, FixtureSet
from emulator.storage.tables import UNKNOWN_TOKEN

# What an anonymous device renders with: a contact that has no fields at all.
NO_FIELDS: Mapping[str, Any] = {}


class Recipient(NamedTuple):
    # A tuple, not a dataclass: a fan-out makes one per device, and tuples are cheap.
    device: Device
    application: Application
    # What the content is rendered with: the contact's fields (NO_FIELDS for an anonymous
    # device) on an instant send, the $Current values on a transactional one.
    contact: Mapping[str, Any]
    failure: str | None = None  # a reason the delivery fails whatever the device's status


@dataclass(frozen=True)
class Audience:
    """The send's audience as stored: ids already lower-cased by acceptance."""

    application_ids: list[str]
    segment_id: str | None = None
    table_id: str | None = None
    use_only_engaged: bool = False
    # (application id, token) pairs that opened or clicked an earlier push in this emulator:
    # engaged too, beside the devices the fixtures mark engaged.
    engaged_tokens: frozenset[tuple[str, str]] = frozenset()


class AudienceIndex:
    """Fixture look-ups a fan-out needs, built once per fixture set rather than once per send."""

    def __init__(self, fixtures: FixtureSet) -> None:
        self.fixtures = fixtures
        self.devices_by_app: dict[str, list[Device]] = {}
        for device in fixtures.devices:
            self.devices_by_app.setdefault(device.applicationId.lower(), []).append(device)
        # Without a segment or table, a device's contact is looked up in every table; where
        # two tables share a key the first table listed wins, so the answer is stable.
        self.tables: dict[str, dict[str, Mapping[str, Any]]] = {}
        self.contacts: dict[str, Mapping[str, Any]] = {}
        for table in fixtures.tables:
            members: dict[str, Mapping[str, Any]] = {
                contact.contactKey: contact.fields() for contact in table.contacts
            }
            self.tables[table.id.lower()] = members
            for key, fields in members.items():
                self.contacts.setdefault(key, fields)


class AudienceIndexes:
    """The index of the fixtures in force, rebuilt only when the fixture set is replaced.

    One per runtime: two apps in one process (tests) never share or evict each other's.
    """

    def __init__(self) -> None:
        self._index: AudienceIndex | None = None

    def of(self, fixtures: FixtureSet) -> AudienceIndex:
        index = self._index
        if index is None or index.fixtures is not fixtures:
            index = self._index = AudienceIndex(fixtures)
        return index


def _audience_contacts(
    index: AudienceIndex, audience: Audience
) -> dict[str, Mapping[str, Any]] | None:
    """Contact key -> fields for a segment or table audience; None when every device counts."""
    if audience.segment_id is not None:
        segment = index.fixtures.segments_by_id.get(audience.segment_id)
        if segment is None:
            return {}  # an unknown segment was warned about at acceptance; it adds nobody
        contacts = index.tables.get(segment.tableId.lower(), {})
        return {key: contacts[key] for key in segment.contactKeys if key in contacts}
    if audience.table_id is not None:
        return index.tables.get(audience.table_id, {})
    return None


def resolve_audience(fixtures: FixtureSet, audience: Audience) -> list[Recipient]:
    return list(iter_audience(AudienceIndex(fixtures), audience))


def iter_audience(index: AudienceIndex, audience: Audience) -> Iterator[Recipient]:
    """One recipient per targeted device, in fixture order, unregistered devices included.

    Unregistered devices stay in: the real service tries them and the attempt bounces, which
    is what the delivery report counts. Lazy, so a fan-out can pause between chunks.
    """
    fixtures = index.fixtures
    members = _audience_contacts(index, audience)
    for application_id in dict.fromkeys(audience.application_ids):
        application = fixtures.applications_by_id.get(application_id)
        if application is None:
            continue  # warned about at acceptance
        for device in index.devices_by_app.get(application_id, []):
            if (
                audience.use_only_engaged
                and not device.engaged
                and (application_id, device.token) not in audience.engaged_tokens
            ):
                continue
            key = device.contactKey
            if members is not None:
                if key is None or key not in members:
                    continue
                contact = members[key]
            elif key is None:
                contact = NO_FIELDS
            else:
                # A device whose contact no table holds still knows its own key.
                contact = index.contacts.get(key) or {"contactKey": key}
            yield Recipient(device, application, contact)


def iter_targets(
    fixtures: FixtureSet, targets: list[dict[str, Any]], values: Mapping[str, Any]
) -> Iterator[Recipient]:
    """A transactional send's devices, chosen at acceptance, each rendered with the send's
    $Current values. A token the account does not know (accepted blind, as the real service
    does) becomes a delivery that reaches nobody."""
    for target in targets:
        app_id, token = str(target["applicationId"]), str(target["token"])
        device = fixtures.devices_by_token.get((app_id, token))
        application = fixtures.applications_by_id.get(app_id)
        if device is not None and application is not None:
            yield Recipient(device, application, values)
            continue
        # Built without validation: a device and perhaps an application the fixtures lack.
        unknown = Device.model_construct(token=token, applicationId=app_id)
        # No such application: a platform of "unknown" (the inbox draws it as the default).
        unknown_platform: Any = "unknown"
        where = application or Application.model_construct(
            id=app_id, name=app_id, platform=unknown_platform
        )
        yield Recipient(unknown, where, values, UNKNOWN_TOKEN)
