"""One delivery row per recipient: its language's content, personalised, and its plan."""

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from emulator.fanout.audience import Recipient
from emulator.fanout.personalise import (
    INSTANT,
    CompiledContent,
    Dialect,
    Misses,
    Template,
    compile_content,
    compile_text,
)
from emulator.fanout.plan import Planner
from emulator.storage.deliveries import DeliveryRow

# Content fields with a column of their own (title, message, target_url, media_url); every
# other field goes to `extra`.
_COLUMNS = ("title", "message", "targetUrl", "mediaUrl")


@dataclass(frozen=True)
class _Variant:
    """The content one language gets, compiled: per recipient only the tags are rendered."""

    language: str | None
    columns: tuple[Template | None, ...]  # title, message, targetUrl, mediaUrl (None: absent)
    extra: CompiledContent  # every other field
    extra_json: str | None  # the extra fields' JSON when no tag is in them
    warnings: list[str]

    def render(self, contact: Mapping[str, Any], misses: Misses) -> tuple[Any, ...]:
        """(title, message, target_url, media_url, extra JSON) for one recipient."""
        columns = [_render(t, contact, misses) for t in self.columns]
        extra = self.extra_json
        if extra is None:
            extra = orjson.dumps(self.extra.render(contact, misses)).decode()
        return (*columns, extra)


def _render(template: Template | None, contact: Mapping[str, Any], misses: Misses) -> str | None:
    if template is None:
        return None
    if template.constant is not None:
        return template.constant
    return template.render(contact, misses)


def _variant(language: str | None, fields: dict[str, Any], path: str, dialect: Dialect) -> _Variant:
    columns = tuple(
        compile_text(fields[key], f"{path}.{key}", dialect)
        if isinstance(fields.get(key), str)
        else None
        for key in _COLUMNS
    )
    extra = compile_content({k: v for k, v in fields.items() if k not in _COLUMNS}, path, dialect)
    extra_json = orjson.dumps(extra.render({}, Misses())).decode() if extra.constant else None
    warnings = [w for t in columns if t is not None for w in t.warnings] + extra.warnings
    return _Variant(language, columns, extra, extra_json, warnings)


@dataclass
class SendContent:
    """A stored send's content, compiled once so each recipient only renders."""

    variants: dict[str, _Variant]  # casefolded language -> variant; "" for single content
    default: _Variant
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def compile(cls, content: dict[str, Any], dialect: Dialect = INSTANT) -> "SendContent":
        if "multiLangContent" in content:
            multi = content["multiLangContent"]
            variants: dict[str, _Variant] = {}
            for index, entry in enumerate(multi["contents"]):
                fields = {k: v for k, v in entry.items() if k != "language"}
                path = f"multiLangContent.contents[{index}]"
                language = entry["language"]
                variants[language.casefold()] = _variant(language, fields, path, dialect)
            default = variants[multi["defaultLanguage"].casefold()]
        else:
            # Single content: no language is chosen, so the delivery records none.
            default = _variant(None, content["content"], "content", dialect)
            variants = {}
        warnings = list(dict.fromkeys(w for v in [default, *variants.values()] for w in v.warnings))
        return cls(variants, default, warnings)

    def for_language(self, *languages: str | None) -> _Variant:
        """The entry of the first language given that has one (any case: a send's language
        override, then the device's), else the default language's."""
        if self.variants:
            for language in languages:
                if language is not None and language.casefold() in self.variants:
                    return self.variants[language.casefold()]
        return self.default


def delivery_rows(
    send_id: int,
    content: SendContent,
    recipients: Sequence[Recipient],
    created_at: Any,
    misses: Misses,
    planner: Planner,
    language: str | None = None,
) -> Iterator[DeliveryRow]:
    """Rows in storage.deliveries.DELIVERY_COLUMNS order; `created_at` already in storage form.

    `planner` decides each delivery's outcome and timing; `language` overrides each device's
    own (SendTransactionalPush's `language`)."""
    for recipient in recipients:
        device = recipient.device
        variant = content.for_language(language, device.language)
        rendered = variant.render(recipient.contact, misses)
        yield (
            send_id,
            device.token,
            recipient.application.id.lower(),
            recipient.application.platform,
            device.contactKey,
            variant.language,
            device.language,
            device.deviceType,
            device.browser,
            *rendered,
            *planner.plan(recipient),
            created_at,
        )
