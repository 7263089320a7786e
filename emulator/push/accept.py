"""Accepting a SendInstantPush call: body rules, warnings, template look-ups, the stored row."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.bodies import parse_json_body, validate
from emulator.errors import BadRequest, TemplateNotFound
from emulator.fanout.personalise import check_nesting
from emulator.push.contract import SendInstantRequest, unknown_fields
from emulator.push.fixtures import FixtureSet, Template
from emulator.storage.rows import insert_send
from emulator.storage.tables import INSTANT, QUEUED, SCHEDULED
from emulator.storage.writer import Writer

SUCCESS_MESSAGE = "Successful"


@dataclass(frozen=True)
class SendContext:
    """What acceptance needs to know besides the body; no framework objects."""

    fixtures: FixtureSet
    strict: bool
    now: datetime
    api_user: str
    client_ip: str
    tracking_id: str  # used when the body names none
    transaction_id: str
    content_type: str | None = None
    new_id: Callable[[], str] | None = None  # more ids, for a send that needs several


@dataclass(frozen=True)
class AcceptedSend:
    row: dict[str, Any]  # the columns of models.Send
    response: dict[str, Any]

    @property
    def tracking_id(self) -> str:
        return str(self.row["tracking_id"])


def _is_json_type(content_type: str | None) -> bool:
    if content_type is None:
        return True
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or media.endswith("+json")


def check_content_type(ctx: SendContext) -> None:
    """A body sent as anything but JSON is a 400, before the body is judged."""
    if not _is_json_type(ctx.content_type):
        raise BadRequest([f"Content-Type: must be application/json, got {ctx.content_type!r}"])


def content_type_warnings(ctx: SendContext) -> list[str]:
    if ctx.content_type is not None:
        return []
    return [
        "Content-Type: no header was sent; the real service may refuse a body without "
        "Content-Type: application/json"
    ]


def template_content(template: Template) -> dict[str, Any]:
    """A saved template's content, as the send stores it."""
    if template.content is not None:
        return {"content": template.content.inline_fields()}
    assert template.multiLangContent is not None
    return {"multiLangContent": template.multiLangContent.model_dump(exclude_none=True)}


def success(transaction_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """The vendor's success envelope."""
    return {"code": 0, "message": SUCCESS_MESSAGE, "transactionId": transaction_id, "data": data}


def parse_request(body: bytes) -> SendInstantRequest:
    data = parse_json_body(body)
    if not isinstance(data, dict):
        raise BadRequest(["body: must be a JSON object"])
    request = validate(SendInstantRequest, data)
    # Templates were checked when the fixtures were loaded; inline content is checked here.
    nesting = [
        problem
        for name in ("content", "multiLangContent")
        for problem in check_nesting(data.get(name), name)
    ]
    if nesting:
        raise BadRequest(nesting)
    return request


def collect_warnings(request: SendInstantRequest, ctx: SendContext) -> list[str]:
    """Where the real behaviour is unknown, the send is accepted and told what may differ."""
    warnings = content_type_warnings(ctx)
    for path in unknown_fields(request):
        if path == "onlyLastEngagedTokens":
            warnings.append(
                "onlyLastEngagedTokens: not a field of SendInstantPush; did you mean "
                "useOnlyEngagedTokens? The real service would ignore it and send to every "
                "reachable token"
            )
        else:
            warnings.append(
                f"{path}: unknown field, recorded; the real service would probably ignore it"
            )
    if not request.applicationIds:
        warnings.append(
            "applicationIds: missing or empty, so the send targets every application of the "
            "account; the vendor's page marks the field as required"
        )
    else:
        for index, app_id in enumerate(request.applicationIds):
            if app_id.lower() not in ctx.fixtures.applications_by_id:
                warnings.append(
                    f"applicationIds[{index}]: no application {app_id!r}; it adds no devices"
                )
    if request.segmentId and request.segmentId.lower() not in ctx.fixtures.segments_by_id:
        warnings.append(f"segmentId: no segment {request.segmentId!r}; it adds no devices")
    if request.tableId and request.tableId.lower() not in ctx.fixtures.tables_by_id:
        warnings.append(f"tableId: no table {request.tableId!r}; it adds no devices")
    return warnings


def resolve_content(request: SendInstantRequest, fixtures: FixtureSet) -> dict[str, Any]:
    """The content with every template copied in; a template that is not there is a 404."""
    if request.content is not None:
        if request.content.templateId is None:
            return {"content": request.content.inline_fields()}
        template = fixtures.templates_by_id.get(request.content.templateId.lower())
        if template is None:
            raise TemplateNotFound()
        return template_content(template)
    assert request.multiLangContent is not None
    contents = []
    for entry in request.multiLangContent.contents:
        fields = entry.inline_fields()
        if entry.templateId is not None:
            template = fixtures.templates_by_id.get(entry.templateId.lower())
            if template is None:
                raise TemplateNotFound()
            if template.content is not None:
                fields = template.content.inline_fields()
            else:
                assert template.multiLangContent is not None
                # A multi-language template inside a language entry gives that language's text.
                fields = template.multiLangContent.entry_for(entry.language).inline_fields()
        contents.append({"language": entry.language, **fields})
    return {
        "multiLangContent": {
            "defaultLanguage": request.multiLangContent.defaultLanguage,
            "contents": contents,
        }
    }


def accept_send(body: bytes, ctx: SendContext) -> AcceptedSend:
    """Judge a body in the contract's order (400, then 404) and build the row to store."""
    check_content_type(ctx)
    request = parse_request(body)
    warnings = collect_warnings(request, ctx)
    if ctx.strict and warnings:
        raise BadRequest([f"strict mode: {w}" for w in warnings])
    content = resolve_content(request, ctx.fixtures)
    tracking_id = request.trackingId or ctx.tracking_id
    schedule_at = request.schedule_at()
    due_later = schedule_at is not None and schedule_at > ctx.now
    response = success(ctx.transaction_id, {"trackingId": tracking_id})
    application_ids = [a.lower() for a in request.applicationIds or []]
    row: dict[str, Any] = {
        "kind": INSTANT,
        "tags": [],
        "tracking_id": tracking_id.lower(),
        "transaction_id": ctx.transaction_id,
        "status": SCHEDULED if due_later else QUEUED,
        "received_at": ctx.now,
        "updated_at": ctx.now,
        "api_user": ctx.api_user,
        "client_ip": ctx.client_ip,
        "request_body": body.decode("utf-8"),
        "application_ids": application_ids or [a.id.lower() for a in ctx.fixtures.applications],
        "all_applications": not application_ids,
        "segment_id": request.segmentId.lower() if request.segmentId else None,
        "table_id": request.tableId.lower() if request.tableId else None,
        "template_ids": [t.lower() for t in request.template_ids()],
        "schedule_at": schedule_at,
        "use_only_engaged": bool(request.useOnlyEngagedTokens),
        "content": content,
        "warnings": warnings,
        "response_body": response,
        "delivery_count": 0,
        "completed_at": None,
    }
    return AcceptedSend(row, response)


async def record_send(writer: Writer, accepted: AcceptedSend) -> int:
    """Store an accepted send; returns its id once committed, so the 200 can follow."""
    return await writer.run(lambda connection: insert_send(connection, accepted.row))
