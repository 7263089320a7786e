"""The inspection filters, declared once for the API, its docs, the client and the CLI."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from emulator.fanout.outcomes import OUTCOME_NAMES

# How a filter's value is read: an id (compared without case), text as given, a send status
# (any case), an ISO 8601 time, a search text, an HTTP status or class.
FilterKind = Literal[
    "id", "text", "status", "time", "search", "http_status", "send_kind", "outcome"
]


@dataclass(frozen=True)
class Filter:
    param: str  # the API's query parameter: what JSON clients and the docs spell
    help: str
    kind: FilterKind = "text"
    cli_name: str | None = None  # the CLI flag's name, where the parameter's reads badly

    @property
    def keyword(self) -> str:
        """The Python client's keyword: the parameter in snake_case."""
        return re.sub(r"(?<!^)([A-Z])", r"_\1", self.param).lower()

    @property
    def flag(self) -> str:
        return "--" + (self.cli_name or self.keyword.replace("_", "-"))


SEND_FILTERS: tuple[Filter, ...] = (
    Filter(
        "kind", "instant (SendInstantPush) or transactional (SendTransactionalPush)", "send_kind"
    ),
    Filter("trackingId", "a send's tracking id", "id"),
    Filter("applicationId", "an application the send targets", "id"),
    Filter("segmentId", "the send's segment", "id"),
    Filter("tableId", "the send's contact table", "id"),
    Filter("templateId", "a template the send used", "id"),
    Filter("status", "Queued, Scheduled, Sending or Completed", "status"),
    Filter(
        "contactKey",
        "a recipient's contact key (the send's deliveries, or a transactional send's contactKey)",
    ),
    Filter("token", "a recipient's device token (matches the send's deliveries)"),
    Filter("outcome", "a final delivery's outcome: " + ", ".join(OUTCOME_NAMES), "outcome"),
    Filter("apiUser", "the API user that sent it"),
    Filter("tag", "one of a transactional send's tags"),
    Filter("traceId", "a transactional send's traceId"),
    Filter("q", "text in a title or message", "search", cli_name="text"),
    Filter("since", "received at or after (ISO 8601, UTC)", "time"),
    Filter("until", "received before (ISO 8601, UTC)", "time"),
)

REQUEST_FILTERS: tuple[Filter, ...] = (
    Filter("status", "an HTTP status (429) or a class (4xx)", "http_status"),
    Filter("path", "a request path, e.g. /rest/push/sendInstant"),
    Filter("apiUser", "the API user named"),
    Filter("since", "received at or after (ISO 8601, UTC)", "time"),
)

# The live registry's lists (GET /_emulator/devices, /_emulator/contacts).
DEVICE_FILTERS: tuple[Filter, ...] = (
    Filter("applicationId", "the device's application", "id"),
    Filter("contactKey", "the device's contact"),
    Filter("token", "the device's token"),
    Filter("status", "active or unregistered"),
)

CONTACT_FILTERS: tuple[Filter, ...] = (
    Filter("tableId", "the contact's table", "id"),
    Filter("contactKey", "the contact's key"),
)

# One device by its token (`/_emulator/devices/{token}` and its feed): the token may be
# registered in more than one application.
APPLICATION_PARAMS: tuple[Filter, ...] = (
    Filter("applicationId", "the device's application, when its token is in several", "id"),
)

# One page of a list: DEFAULT_LIMIT items unless `limit` asks for up to MAX_LIMIT.
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

WEBHOOK_LOG_FILTERS: tuple[Filter, ...] = (
    Filter("result", "delivered, failed (another try follows) or gave_up"),
    Filter("eventKind", "the event's kind, e.g. send.status"),
    Filter("eventId", "the event's id (the SSE id, the body's id)"),
    Filter("webhook", "the webhook's index in the list, from 0"),
)

PAGE_PARAMS: tuple[Filter, ...] = (
    Filter("limit", f"at most this many items (1 to {MAX_LIMIT}; default {DEFAULT_LIMIT})"),
    Filter("cursor", "the nextCursor of the previous page"),
)

# A detail or a clear limited to one API user (a test's own, on a shared emulator).
SCOPE_PARAMS: tuple[Filter, ...] = (Filter("apiUser", "only this API user's"),)

WAIT_PARAMS: tuple[Filter, ...] = (
    Filter("count", "how many matching items to wait for (default 1)"),
    Filter("timeout", "seconds to wait, at most 120 (default 10)"),
)


EVENT_PARAMS: tuple[Filter, ...] = (
    Filter("kinds", "comma-separated event kinds to stream (default: every kind)"),
    Filter("apiUser", "only events of this API user, and those that concern everyone"),
)


def params_of(*groups: Iterable[Filter]) -> list[str]:
    return [f.param for group in groups for f in group]


def closest(name: str, known: Sequence[str]) -> str | None:
    """The known name a typo most likely meant: the same letters in another case first."""
    for candidate in known:
        if candidate.lower() == name.lower():
            return candidate
    import difflib  # here: only a refused request pays for it, never the start

    found = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown(name: str, known: Sequence[str], what: str = "filter") -> str:
    """ "unknown filter 'trackingid'; did you mean 'trackingId'? Known: ..." for one name."""
    if not known:
        return f"unknown {what} {name!r}; this route takes none"
    guess = closest(name, known)
    hint = f"; did you mean {guess!r}?" if guess else ";"
    return f"unknown {what} {name!r}{hint} Known: {', '.join(known)}"


def unknown_params(given: Iterable[str], *groups: Iterable[Filter]) -> list[str]:
    """One problem per query parameter the groups do not declare, so a typo is never ignored."""
    known = params_of(*groups)
    return [unknown(name, known) for name in dict.fromkeys(given) if name not in known]


def keyword_params(*groups: Iterable[Filter]) -> dict[str, str]:
    """Client keyword -> query parameter, for the groups given."""
    return {f.keyword: f.param for group in groups for f in group}


def openapi_parameters(*groups: Iterable[Filter]) -> list[dict[str, Any]]:
    """The groups as OpenAPI query parameters, for routes that read the query themselves."""
    return [
        {
            "name": f.param,
            "in": "query",
            "required": False,
            "description": f.help,
            "schema": {"type": "string"},
        }
        for group in groups
        for f in group
    ]
