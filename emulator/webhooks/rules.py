"""Webhook rules: where events go, which kinds, how signed; validated like the fault rules."""

import re
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from emulator.bodies import RuleError, parse_rule_list, read_rule_file
from emulator.events import WEBHOOK_KINDS
from emulator.push.auth import mask_secret

# Bounds, so a typo cannot flood a receiver or hold an event for long.
MAX_WEBHOOKS = 20
MAX_DELAY_MS = 60_000
MAX_HEADERS = 20
ALL = "*"
# Set by the emulator on every delivery; a rule's headers cannot replace them.
RESERVED_HEADERS = frozenset(
    {"content-type", "content-length", "host", "transfer-encoding", "connection"}
)
RESERVED_PREFIX = "x-push-emulator-"
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")
MASK = "****"


class WebhookRuleError(RuleError):
    """Webhooks that cannot be used; `problems` name each field and its rule."""

    what = "webhooks"
    noun = "webhooks"


def _known_kind(value: str) -> str:
    if value != ALL and value not in WEBHOOK_KINDS:
        raise ValueError(f"must be one of {', '.join((ALL, *WEBHOOK_KINDS))} (got {value!r})")
    return value


def _header_name(name: str) -> str:
    if not _HEADER_NAME.match(name):
        raise ValueError("must be an HTTP header name (letters, digits and -)")
    lowered = name.lower()
    if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_PREFIX):
        raise ValueError("is set by the emulator on every delivery")
    return name


def _header_value(value: str) -> str:
    if re.search(r"[\x00-\x1f\x7f]", value):
        raise ValueError("must not hold control characters or line breaks")
    return value


Kind = Annotated[str, AfterValidator(_known_kind)]
HeaderName = Annotated[str, AfterValidator(_header_name)]
HeaderValue = Annotated[str, Field(max_length=2000), AfterValidator(_header_value)]


class WebhookRule(BaseModel):
    """One receiver: `url` gets every event of `events` ('*': all), `delayMs` after it."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    url: Annotated[str, Field(min_length=1, max_length=2000)]
    events: Annotated[list[Kind], Field(min_length=1, max_length=len(WEBHOOK_KINDS) + 1)] = Field(
        default_factory=lambda: [ALL]
    )
    secret: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    delayMs: Annotated[int, Field(ge=0, le=MAX_DELAY_MS)] = 0
    headers: Annotated[dict[HeaderName, HeaderValue], Field(max_length=MAX_HEADERS)] = Field(
        default_factory=dict
    )

    @field_validator("url")
    @classmethod
    def _web_url(cls, value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("must not hold spaces or control characters")
        import httpx  # only when a webhook is set: the server starts without it

        try:
            parts = urlsplit(value)
            _ = parts.port  # a port that is not a number raises here
            httpx.URL(value)
        except (ValueError, httpx.InvalidURL):
            raise ValueError("must be an http or https URL") from None
        if parts.scheme.lower() not in {"http", "https"}:
            raise ValueError(f"must be an http or https URL (got scheme {parts.scheme!r})")
        if not parts.hostname:
            raise ValueError("must be an http or https URL with a host")
        return value

    def kinds(self) -> frozenset[str]:
        """The kinds this webhook gets, '*' spelled out."""
        return frozenset(WEBHOOK_KINDS) if ALL in self.events else frozenset(self.events)

    def public(self) -> dict[str, Any]:
        """The rule as shown by the API and the inbox: secrets masked, never in full."""
        return {
            "url": masked_url(self.url),
            "events": list(self.events),
            "secret": mask_secret(self.secret) if self.secret else None,
            "delayMs": self.delayMs,
            # Header values often carry the receiver's own credentials.
            "headers": {name: MASK for name in self.headers},
        }


def masked_url(url: str) -> str:
    """`url` with a password and every query value masked: they may be credentials."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = f"{parts.username}:{MASK}@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        query = urlencode([(k, MASK) for k, _ in parse_qsl(query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


_RULES_ADAPTER = TypeAdapter(list[WebhookRule])


def parse_webhooks(data: Any, source: str = "") -> list[WebhookRule]:
    """Webhooks from decoded JSON (an array), or WebhookRuleError naming each bad field."""
    return parse_rule_list(data, _RULES_ADAPTER, WebhookRuleError, MAX_WEBHOOKS, source)


def load_webhook_file(path: Path) -> list[WebhookRule]:
    """The webhooks of an EMULATOR_WEBHOOKS file; a problem is one line naming file and field."""
    return parse_webhooks(read_rule_file(path, WebhookRuleError), str(path))
