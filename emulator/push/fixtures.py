"""Fixture files: the API users, applications, templates, audiences and devices a server knows."""

import ipaddress
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import orjson
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from emulator.bodies import deeper_than, describe_errors, too_deep
from emulator.fanout.outcomes import OutcomeName
from emulator.fanout.personalise import TRANSACTIONAL, check_nesting
from emulator.fanout.timing import Delay, Rate
from emulator.push.contract import Content, Guid, MultiLangContent

M = TypeVar("M", bound=BaseModel)
# Every device and contact gets the next number when it is loaded or registered, and keeps it
# while it stays (FixtureSet.device_numbers, .contact_numbers): a cursor through a registry
# list stays valid while records are added and removed between pages, since the lists are
# always in number order.
_record_numbers = itertools.count(1)


class FixtureError(ValueError):
    """A fixture that cannot be used; the message names the file, the record and the field."""


def check_network(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise ValueError("must be an IP address or CIDR network") from None
    return value


class FixtureModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class RateLimitFixture(FixtureModel):
    capacity: Annotated[int, Field(ge=1)]
    refillPerSecond: Annotated[float, Field(ge=0)]


class ApiUser(FixtureModel):
    userkey: Annotated[str, Field(min_length=1)]
    password: Annotated[str, Field(min_length=1)]
    permissions: list[str] = Field(default_factory=list)
    tokens: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    allowedIps: list[Annotated[str, AfterValidator(check_network)]] | None = None
    rateLimit: RateLimitFixture | None = None
    # A bucket of its own for SendTransactionalPush; without it both kinds share `rateLimit`.
    transactionalRateLimit: RateLimitFixture | None = None

    def allows_ip(self, ip: str) -> bool:
        if self.allowedIps is None:
            return True
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in ipaddress.ip_network(n, strict=False) for n in self.allowedIps)


class Application(FixtureModel):
    id: Guid
    name: str
    platform: Literal["android", "ios", "web"]
    # How this application's devices behave, over the EMULATOR_* defaults (a rule wins).
    deliveryDelay: Delay | None = None
    openRate: Rate | None = None
    clickRate: Rate | None = None


class Template(FixtureModel):
    id: Guid
    name: str
    content: Content | None = None
    multiLangContent: MultiLangContent | None = None
    # Saved as a transactional content: only SendTransactionalPush's contentId finds it, and
    # only SendInstantPush's templateId finds the others.
    transactional: bool = False

    @model_validator(mode="after")
    def _one_content(self) -> "Template":
        if (self.content is None) == (self.multiLangContent is None):
            raise ValueError("needs exactly one of content and multiLangContent")
        entries = [self.content] if self.content else list(self.multiLangContent.contents)  # type: ignore[union-attr]
        if any(entry.templateId for entry in entries if entry is not None):
            raise ValueError("a template's content cannot itself name a templateId")
        return self


class Contact(BaseModel):
    """A contact row: `contactKey` plus any fields personalisation can read."""

    model_config = ConfigDict(extra="allow", strict=True)

    contactKey: Annotated[str, Field(min_length=1)]

    def fields(self) -> dict[str, Any]:
        return self.model_dump()


class Table(FixtureModel):
    id: Guid
    name: str
    contacts: list[Contact] = Field(default_factory=list)


class Segment(FixtureModel):
    id: Guid
    name: str
    tableId: Guid
    contactKeys: list[str] = Field(default_factory=list)


class Device(FixtureModel):
    token: Annotated[str, Field(min_length=1)]
    applicationId: Guid
    contactKey: str | None = None
    language: str | None = None
    engaged: bool = False
    deviceType: str | None = None
    browser: str | None = None
    status: Literal["active", "unregistered"] = "active"
    # What the push provider answers for a delivery to this device (fanout/outcomes.py).
    outcome: OutcomeName = "delivered"


# File name -> record model, in load order.
FILES: dict[str, type[BaseModel]] = {
    "api_users": ApiUser,
    "applications": Application,
    "templates": Template,
    "tables": Table,
    "segments": Segment,
    "devices": Device,
}


@dataclass
class FixtureSet:
    """Loaded fixtures, indexed the way the send path looks them up."""

    api_users: list[ApiUser] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)
    templates: list[Template] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    devices: list[Device] = field(default_factory=list)
    # Registration numbers by device_key and by (table id, contact key), carried over from the
    # set this one replaces (dataclasses.replace passes them on); see _record_numbers.
    device_numbers: dict[str, int] = field(default_factory=dict, repr=False, compare=False)
    contact_numbers: dict[tuple[str, str], int] = field(
        default_factory=dict, repr=False, compare=False
    )
    # False when the set replaced differs only in fields no key is made of (a device's status
    # or engagement): the numbers are then handed on as they are. Renumbering 100,000
    # devices and contacts was most of a token clean-up's time.
    renumber: bool = field(default=True, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.renumber:
            self.device_numbers = _numbered(self.device_numbers, map(device_key, self.devices))
            self.contact_numbers = _numbered(
                self.contact_numbers,
                (contact_key(t, c) for t in self.tables for c in t.contacts),
            )
        self.renumber = True  # the next set made from this one renumbers unless told
        self.users_by_key = {u.userkey: u for u in self.api_users}
        self.static_tokens = {t: u for u in self.api_users for t in u.tokens}
        self.applications_by_id = {a.id.lower(): a for a in self.applications}
        # Instant templates and transactional contents are looked up apart: neither call
        # finds the other kind (the transactional one answers "content is null").
        self.templates_by_id = {t.id.lower(): t for t in self.templates if not t.transactional}
        self.contents_by_id = {t.id.lower(): t for t in self.templates if t.transactional}
        self.tables_by_id = {t.id.lower(): t for t in self.tables}
        self.segments_by_id = {s.id.lower(): s for s in self.segments}

    # The UserLookup protocol (push/auth.py), so auth can be tested on fixtures alone.
    def user(self, userkey: str) -> ApiUser | None:
        return self.users_by_key.get(userkey)

    def user_for_static_token(self, token: str) -> ApiUser | None:
        return self.static_tokens.get(token)

    # Built on first use: only transactional sends look devices up one contact or token at a
    # time, and a 100,000-device fixture set should not pay for it at start-up otherwise.
    @cached_property
    def devices_by_contact(self) -> dict[str, list[Device]]:
        found: dict[str, list[Device]] = {}
        for device in self.devices:
            if device.contactKey is not None:
                found.setdefault(device.contactKey, []).append(device)
        return found

    @cached_property
    def devices_by_token(self) -> dict[tuple[str, str], Device]:
        """(lower-case application id, token) -> device."""
        return {(d.applicationId.lower(), d.token): d for d in self.devices}

    def to_json(self) -> dict[str, list[dict[str, Any]]]:
        """The fixture format again: what PUT /_emulator/fixtures takes back."""
        return {
            name: [r.model_dump(mode="json", exclude_none=True) for r in getattr(self, name)]
            for name in FILES
        }


K = TypeVar("K")


def _numbered(known: dict[K, int], keys: Iterable[K]) -> dict[K, int]:
    """Each key's number: the one it had, else the next; keys gone are left out."""
    return {key: known.get(key) or next(_record_numbers) for key in keys}


def contact_key(table: Table, contact: Contact) -> tuple[str, str]:
    return table.id.lower(), contact.contactKey


def record_label(index: int, raw: Any) -> str:
    if isinstance(raw, dict):
        for key in ("id", "userkey", "token", "contactKey"):
            if isinstance(raw.get(key), str):
                return f"record {index} ({key} {raw[key]!r})"
    return f"record {index}"


def parse_record(model: type[M], raw: Any, where: str, index: int) -> M:
    """One record of a fixture file (or of a registry call), or FixtureError naming it."""
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(describe_errors(error))
        raise FixtureError(f"{where}: {record_label(index, raw)}: {problems}") from None


def check_device_application(
    device: Device, fixtures: "FixtureSet", where: str, index: int
) -> None:
    if device.applicationId.lower() not in fixtures.applications_by_id:
        raise FixtureError(
            f"{where}: record {index} (token {device.token!r}): applicationId: "
            f"no application {device.applicationId!r} in applications.json"
        )


def device_key(device: Device) -> str:
    """What makes a device unique in devices.json: its application and token, any case."""
    return f"{device.applicationId}/{device.token}".lower()


def parse_fixtures(data: dict[str, Any], source: str) -> FixtureSet:
    """Validate fixture data shaped as {file name: [records]}; all or nothing."""
    unknown = sorted(set(data) - set(FILES))
    if unknown:
        raise FixtureError(f"{source}: unknown fixture file(s) {', '.join(unknown)}")
    parsed: dict[str, Any] = {}
    for name, model in FILES.items():
        records = data.get(name, [])
        where = f"{source}/{name}.json"
        if not isinstance(records, list):
            raise FixtureError(f"{where}: must be a JSON array of records")
        parsed[name] = []
        for index, raw in enumerate(records):
            parsed[name].append(parse_record(model, raw, where, index))
            # The limits a send's body is held to at acceptance hold for fixtures too.
            deep = too_deep(raw)
            limits = [deeper_than(deep)] if deep is not None else []
            if name == "templates" and isinstance(raw, dict):
                # Judged as a transactional send would, whose dialect knows every namespace.
                content = {k: v for k, v in raw.items() if k != "id"}
                limits += check_nesting(content, "", TRANSACTIONAL)
            if limits:
                raise FixtureError(f"{where}: {record_label(index, raw)}: {limits[0]}")
    fixtures = FixtureSet(**parsed)
    _check_references(fixtures, source)
    return fixtures


def _check_references(fixtures: FixtureSet, source: str) -> None:
    def unique(name: str, keys: list[str], what: str) -> None:
        seen: set[str] = set()
        for index, key in enumerate(keys):
            if key.lower() in seen:
                raise FixtureError(f"{source}/{name}.json: record {index}: {what} {key!r} repeats")
            seen.add(key.lower())

    unique("api_users", [u.userkey for u in fixtures.api_users], "userkey")
    unique("api_users", [t for u in fixtures.api_users for t in u.tokens], "token")
    unique("applications", [a.id for a in fixtures.applications], "id")
    unique("templates", [t.id for t in fixtures.templates], "id")
    unique("tables", [t.id for t in fixtures.tables], "id")
    unique("segments", [s.id for s in fixtures.segments], "id")
    unique("devices", [device_key(d) for d in fixtures.devices], "token")
    for index, segment in enumerate(fixtures.segments):
        table = fixtures.tables_by_id.get(segment.tableId.lower())
        where = f"{source}/segments.json: record {index} (id {segment.id!r})"
        if table is None:
            raise FixtureError(f"{where}: tableId: no table {segment.tableId!r} in tables.json")
        keys = {c.contactKey for c in table.contacts}
        missing = [k for k in segment.contactKeys if k not in keys]
        if missing:
            raise FixtureError(f"{where}: contactKeys: {missing[0]!r} is not in table {table.id!r}")
    for index, device in enumerate(fixtures.devices):
        check_device_application(device, fixtures, f"{source}/devices.json", index)


def read_folder(folder: Path) -> dict[str, bytes]:
    """The raw files of a fixtures folder, by name; a missing file is left out."""
    if not folder.is_dir():
        raise FixtureError(f"{folder}: fixtures folder not found")
    raw: dict[str, bytes] = {}
    for name in FILES:
        path = folder / f"{name}.json"
        if not path.exists():
            continue
        try:
            raw[name] = path.read_bytes()
        except OSError as error:
            raise FixtureError(f"{path}: cannot be read ({error.strerror})") from None
    return raw


def _parse_folder(folder: Path, raw: dict[str, bytes]) -> FixtureSet:
    data: dict[str, Any] = {}
    for name, text in raw.items():
        try:
            data[name] = orjson.loads(text)
        except orjson.JSONDecodeError as error:
            raise FixtureError(f"{folder / f'{name}.json'}: not valid JSON ({error})") from None
    return parse_fixtures(data, str(folder))


def load_fixtures(folder: Path) -> FixtureSet:
    """Read a fixtures folder; a missing file is an empty list, a missing folder an error."""
    return _parse_folder(folder, read_folder(folder))


class FixtureFolder:
    """A fixtures folder that is validated again only when its files changed: the reset
    before every test then costs reading a few files, not validating every record. A set is
    never changed in place (engagement and PUT make new ones), so handing it out again is safe.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._raw: dict[str, bytes] | None = None
        self._loaded: FixtureSet | None = None

    def load(self) -> FixtureSet:
        raw = read_folder(self.folder)
        if self._loaded is None or raw != self._raw:
            self._loaded = _parse_folder(self.folder, raw)
            self._raw = raw
        return self._loaded
