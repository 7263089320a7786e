"""SendTransactionalPush: the request and its rules, one contact's (or one token's) devices,
and the answer the real API gives (CONTRACT §4)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field, model_validator

from emulator.bodies import parse_json_body, validate
from emulator.errors import BadRequest
from emulator.push.accept import (
    AcceptedSend,
    SendContext,
    check_content_type,
    content_type_warnings,
    success,
    template_content,
)
from emulator.push.contract import ContractModel, Guid, Language, unknown_fields
from emulator.push.fixtures import Device, FixtureSet
from emulator.storage.tables import QUEUED, TRANSACTIONAL

# The refusal code and texts the live service answers, with HTTP 200 [live].
REFUSED = 11
TOKEN_NOT_FOUND = "Token not found with given ContactKey"  # noqa: S105 - a message, not a secret


def content_is_null(content_id: str) -> str:
    return f"{content_id} content is null"


NonBlank = Annotated[str, Field(min_length=1, max_length=1000)]


class CustomParameter(ContractModel):
    key: NonBlank
    value: str | int | float | bool | None = None


class TransactionalPushRequest(ContractModel):
    """The body of POST /rest/transactional/push: the doc's fields, alphabetically [doc]."""

    appId: Guid | None = None
    contactKey: NonBlank | None = None
    contentId: Guid
    current: dict[str, Any] | None = None
    customParameters: list[CustomParameter] | None = None
    fallbackChannel: dict[str, Any] | None = None
    inboxParams: dict[str, Any] | None = None
    language: Language | None = None
    sendToAll: bool | None = None
    tags: list[NonBlank] | None = None
    token: NonBlank | None = None
    traceId: Annotated[str, Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_audience(self) -> "TransactionalPushRequest":
        if self.contactKey is None and self.token is None:
            raise ValueError("Either contactKey or token must be provided")  # the live wording
        if self.token is not None and self.sendToAll:
            raise ValueError("token and sendToAll cannot be used at the same time")
        if self.token is not None and self.appId is None:
            raise ValueError("appId: is required with token")
        return self

    def current_values(self) -> dict[str, Any]:
        """What `$Current.*` renders: customParameters, with `current` winning [guess]."""
        values: dict[str, Any] = {p.key: p.value for p in self.customParameters or []}
        values.update(self.current or {})
        return values


# Keys users carry over from SendInstantPush: named, since the call takes no inline content.
_INLINE = {"content", "title", "message", "targetUrl", "mediaUrl", "multiLangContent"}


def parse_request(body: bytes) -> TransactionalPushRequest:
    data = parse_json_body(body)
    if not isinstance(data, dict):
        raise BadRequest(["body: must be a JSON object"])
    try:
        return validate(TransactionalPushRequest, data)
    except BadRequest as error:
        if "contentId" in data or not isinstance(data.get("content"), dict):
            raise
        # Nested under `content`, the live API answers "ContentId can not be empty" [live].
        nested = "contentId: is required at the top level, not under content"
        raise BadRequest(
            [nested if p == "contentId: is required" else p for p in error.problems]
        ) from None


def collect_warnings(
    request: TransactionalPushRequest, ctx: SendContext, languages: list[str] | None
) -> list[str]:
    """`languages`: the content's languages, None for single-language content."""
    warnings = content_type_warnings(ctx)
    for path in unknown_fields(request):
        if path in _INLINE:
            warnings.append(
                f"{path}: SendTransactionalPush takes no inline content; every word comes from "
                "the saved content named by contentId, so the real service ignores it"
            )
        else:
            warnings.append(
                f"{path}: unknown field, recorded; the real service would probably ignore it"
            )
    if request.token is not None and request.contactKey is not None:
        warnings.append(
            "contactKey: given with token; the token alone is targeted [guess: the real "
            "service's choice is undocumented]"
        )
    if request.appId is not None and request.appId.lower() not in ctx.fixtures.applications_by_id:
        warnings.append(f"appId: no application {request.appId!r}; it reaches no device")
    if request.language is not None and languages is None:
        warnings.append("language: the content has one language; the override changes nothing")
    elif request.language is not None and request.language.casefold() not in {
        lang.casefold() for lang in languages or []
    }:
        warnings.append(
            f"language: the content has no {request.language!r} entry "
            f"({', '.join(languages or [])}); each device gets its own language, else the "
            "default"
        )
    return warnings


@dataclass(frozen=True)
class Refusal:
    """A valid call the real service refuses with HTTP 200 and a non-zero code [live]."""

    code: int
    message: str

    def response(self, transaction_id: str) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "transactionId": transaction_id,
            "data": None,
        }


def _targets(
    request: TransactionalPushRequest, fixtures: FixtureSet
) -> list[tuple[str, str]] | None:
    """(application id, token) pairs the push goes to; None when the contact has none."""
    app_id = request.appId.lower() if request.appId else None
    if request.token is not None:
        assert app_id is not None  # the contract requires appId with a token
        # Accepted blind, even for a token the account does not know [live].
        return [(app_id, request.token)]
    assert request.contactKey is not None
    active: list[Device] = [
        device
        for device in fixtures.devices_by_contact.get(request.contactKey, [])
        if device.status == "active"
        and (app_id is None or device.applicationId.lower() == app_id)  # [guess]
    ]
    if not active:
        return None
    if request.sendToAll:
        return [(d.applicationId.lower(), d.token) for d in active]
    # One device: the most recently registered [guess]; fixtures have no registration time,
    # so the last one listed stands for it.
    device = active[-1]
    return [(device.applicationId.lower(), device.token)]


def accept_transactional(
    request: TransactionalPushRequest, body: bytes, ctx: SendContext
) -> AcceptedSend | Refusal:
    """After the 400s (parse_request): the content, then the audience, then the row."""
    template = ctx.fixtures.contents_by_id.get(request.contentId.lower())
    if template is None:
        return Refusal(REFUSED, content_is_null(request.contentId))
    targets = _targets(request, ctx.fixtures)
    if targets is None:
        return Refusal(REFUSED, TOKEN_NOT_FOUND)
    languages = (
        [entry.language for entry in template.multiLangContent.contents]
        if template.multiLangContent is not None
        else None
    )
    warnings = collect_warnings(request, ctx, languages)
    if ctx.strict and warnings:
        raise BadRequest([f"strict mode: {w}" for w in warnings])
    assert ctx.new_id is not None
    tracking_ids = [ctx.new_id() for _ in targets]
    # A tracking id per device reached [guess for the shape; no client reads it].
    response = success(ctx.transaction_id, {"trackingIds": tracking_ids})
    row: dict[str, Any] = {
        "kind": TRANSACTIONAL,
        "tracking_id": tracking_ids[0],
        "transaction_id": ctx.transaction_id,
        "status": QUEUED,
        "received_at": ctx.now,
        "updated_at": ctx.now,
        "api_user": ctx.api_user,
        "client_ip": ctx.client_ip,
        "request_body": body.decode("utf-8"),
        "application_ids": sorted({app_id for app_id, _ in targets}),
        "all_applications": False,
        "segment_id": None,
        "table_id": None,
        "template_ids": [request.contentId.lower()],
        "schedule_at": None,
        "use_only_engaged": False,
        "content": template_content(template),
        "warnings": warnings,
        "response_body": response,
        "delivery_count": 0,
        "completed_at": None,
        "contact_key": request.contactKey,
        "trace_id": request.traceId,
        "tags": list(request.tags or []),
        "targets": [
            {"applicationId": app_id, "token": token, "trackingId": tracking_id}
            for (app_id, token), tracking_id in zip(targets, tracking_ids, strict=True)
        ],
        "current": request.current_values(),
        "language": request.language,
        "inbox_params": request.inboxParams,
        "fallback_channel": request.fallbackChannel,
    }
    return AcceptedSend(row, response)


def judge(body: bytes, ctx: SendContext) -> TransactionalPushRequest:
    """The 400s, in the contract's order: Content-Type, JSON, then every rule."""
    check_content_type(ctx)
    return parse_request(body)


class TraceLocks:
    """One lock per (API user, traceId): a repeat waits for the first call with its traceId to
    be answered, then finds it stored, so concurrent repeats never store two sends."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str], tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def held(self, api_user: str, trace_id: str) -> AsyncIterator[None]:
        key = (api_user, trace_id)
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
