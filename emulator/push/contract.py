"""The SendInstantPush request as the real API defines it; its rules live in the validators."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema, model_validator

from emulator.clock import CLOCK_RANGE_TEXT, in_clock_range

# `\Z`, not `$`: `$` also matches before a trailing newline, which let "<guid>\n" through.
_GUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z"
)

# The vendor's documented date formats, one per line, so a wrong guess is a one-line fix.
# Groups: date, time (optional), seconds, fraction, zone. ASCII digits only, to the end.
_SCHEDULE_FORMATS = [
    re.compile(pattern, re.ASCII)
    for pattern in (
        r"^(\d{4}-\d{2}-\d{2})\Z",  # yyyy-MM-dd
        r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})\Z",  # yyyy-MM-dd[ T]HH:mm
        r"^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(\.\d{1,3})?\Z",  # ...:ss[.fff]
        r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d{1,3})?Z\Z",  # ...THH:mm:ss[.fff]Z
    )
]
SCHEDULE_FORMATS_TEXT = (
    "yyyy-MM-dd, yyyy-MM-dd HH:mm, yyyy-MM-ddTHH:mm, yyyy-MM-dd HH:mm:ss[.fff], "
    "yyyy-MM-ddTHH:mm:ss[.fff] or yyyy-MM-ddTHH:mm:ss[.fff]Z"
)

# Inline content fields: the four public clients use, then those the device SDK knows and
# the API probably takes [guess]. `templateId` must stand alone, without any of these.
INLINE_FIELDS = (
    "title",
    "message",
    "targetUrl",
    "mediaUrl",
    "subTitle",
    "sound",
    "badge",
    "badgeCount",
    "actionButtons",
    "carouselContent",
    "customParams",
    "expireDate",
    "addToInbox",
    "notificationType",
)


def is_guid(value: str) -> bool:
    """8-4-4-4-12 hex digits, any version or variant: real ids are not all RFC 4122."""
    return _GUID.match(value) is not None


def _check_guid(value: str) -> str:
    if not is_guid(value):
        raise ValueError("must be a GUID (8-4-4-4-12 hexadecimal digits)")
    return value


def parse_schedule_date(value: str) -> datetime:
    """A UTC instant from one of the documented formats; ValueError names the formats."""
    for pattern in _SCHEDULE_FORMATS:
        match = pattern.match(value)
        if match is None:
            continue
        date_part = match.group(1)
        time_part = match.group(2) if pattern.groups >= 2 and match.group(2) else "00:00"
        if len(time_part) == 5:
            time_part += ":00"
        fraction = match.group(3) if pattern.groups >= 3 and match.group(3) else ""
        micro = fraction[1:].ljust(6, "0") if fraction else "000000"
        try:
            # fromisoformat: as strict as strptime for this one shape, about 10 times faster
            # (py-spy: strptime was a tenth of a scheduled send's accept path).
            parsed = datetime.fromisoformat(f"{date_part} {time_part}.{micro}")
        except ValueError:
            raise ValueError(f"must be a real UTC date and time, got {value!r}") from None
        parsed = parsed.replace(tzinfo=UTC)
        if not in_clock_range(parsed):
            # Year 0001 was accepted once, then broke every reader of the stored send.
            raise ValueError(f"must be between {CLOCK_RANGE_TEXT}, got {value!r}")
        return parsed
    raise ValueError(f"must be a UTC date in one of the formats {SCHEDULE_FORMATS_TEXT}")


def _check_schedule(value: str) -> str:
    parse_schedule_date(value)
    return value


def _check_not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


Guid = Annotated[
    str, AfterValidator(_check_guid), WithJsonSchema({"type": "string", "pattern": _GUID.pattern})
]
ScheduleDate = Annotated[
    str,
    AfterValidator(_check_schedule),
    WithJsonSchema({"type": "string", "description": f"UTC, one of {SCHEDULE_FORMATS_TEXT}"}),
]
Language = Annotated[str, AfterValidator(_check_not_blank)]


class ContractModel(BaseModel):
    """Strict JSON types; unknown keys are kept so they can be recorded and warned about."""

    model_config = ConfigDict(extra="allow", strict=True)


class Content(ContractModel):
    """Either a template to copy (`templateId` alone) or inline push content."""

    templateId: Guid | None = None
    title: str | None = None
    message: str | None = None
    targetUrl: str | None = None
    mediaUrl: str | None = None
    subTitle: str | None = None
    sound: str | None = None
    badge: bool | None = None
    badgeCount: int | None = None
    actionButtons: list[Any] | None = None
    carouselContent: list[Any] | None = None
    customParams: dict[str, Any] | list[Any] | None = None
    expireDate: str | None = None
    addToInbox: bool | None = None
    notificationType: str | None = None

    @model_validator(mode="after")
    def _template_alone_or_inline(self) -> "Content":
        inline = [name for name in INLINE_FIELDS if getattr(self, name) is not None]
        if self.templateId is not None and inline:
            raise ValueError(
                "templateId must be given alone, without inline fields (found "
                + ", ".join(inline)
                + ")"
            )
        if self.templateId is None and self.title is None and self.message is None:
            raise ValueError("must carry a templateId, or inline content with a title or message")
        return self

    def inline_fields(self) -> dict[str, Any]:
        """The content fields a device would receive, known and unknown, without nulls."""
        data = self.model_dump(exclude_none=True)
        data.pop("templateId", None)
        data.pop("language", None)
        return data


class LanguageContent(Content):
    language: Language


class MultiLangContent(ContractModel):
    defaultLanguage: Language
    contents: Annotated[list[LanguageContent], Field(min_length=1)]

    @model_validator(mode="after")
    def _languages_consistent(self) -> "MultiLangContent":
        seen: set[str] = set()
        for entry in self.contents:
            key = entry.language.casefold()
            if key in seen:
                raise ValueError(f"contents: language {entry.language!r} appears more than once")
            seen.add(key)
        if self.defaultLanguage.casefold() not in seen:
            raise ValueError(f"defaultLanguage {self.defaultLanguage!r} has no entry in contents")
        return self

    def entry_for(self, language: str | None) -> LanguageContent:
        """The entry of `language` (any case), else the default language's."""
        wanted = (language or "").casefold()
        default = self.defaultLanguage.casefold()
        by_language = {entry.language.casefold(): entry for entry in self.contents}
        return by_language.get(wanted) or by_language[default]


class SendInstantRequest(ContractModel):
    """The body of POST /rest/push/sendInstant."""

    applicationIds: list[Guid] | None = None
    content: Content | None = None
    multiLangContent: MultiLangContent | None = None
    scheduleDate: ScheduleDate | None = None
    segmentId: Guid | None = None
    tableId: Guid | None = None
    trackingId: Guid | None = None
    useOnlyEngagedTokens: bool | None = None

    @model_validator(mode="after")
    def _one_content_one_audience(self) -> "SendInstantRequest":
        if self.content is not None and self.multiLangContent is not None:
            raise ValueError("content and multiLangContent cannot be used at the same time")
        if self.content is None and self.multiLangContent is None:
            raise ValueError("content is required unless multiLangContent is given")
        if self.segmentId is not None and self.tableId is not None:
            raise ValueError("segmentId and tableId cannot be used at the same time")
        return self

    def template_ids(self) -> list[str]:
        """Every template the request names, in `content` and in each language entry."""
        if self.content is not None:
            return [self.content.templateId] if self.content.templateId else []
        assert self.multiLangContent is not None
        return [e.templateId for e in self.multiLangContent.contents if e.templateId]

    def schedule_at(self) -> datetime | None:
        return parse_schedule_date(self.scheduleDate) if self.scheduleDate else None


def unknown_fields(model: BaseModel, path: str = "") -> list[str]:
    """Paths of every key the contract does not define, anywhere in the request."""
    found: list[str] = []
    for key in model.model_extra or {}:
        found.append(f"{path}.{key}" if path else key)
    # Only the fields the body gave: the others hold their defaults, which hold no keys.
    for name in model.model_fields_set:
        value = getattr(model, name)
        child = f"{path}.{name}" if path else name
        if isinstance(value, BaseModel):
            found += unknown_fields(value, child)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    found += unknown_fields(item, f"{child}[{index}]")
    return found
