"""/_emulator/webhooks: the webhooks in force (GET, PUT, DELETE) and their deliveries log."""

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.config import JsonDict

from emulator.bodies import parse_json_body, validate
from emulator.client import WebhookAttempt  # one declaration of an attempt's shape
from emulator.errors import BadRequest
from emulator.events import RESET, WEBHOOK
from emulator.filters import (
    PAGE_PARAMS,
    WAIT_PARAMS,
    WEBHOOK_LOG_FILTERS,
    Filter,
    openapi_parameters,
    unknown_params,
)
from emulator.openapi import Responses, answer, error, json_body
from emulator.routes.deps import RuntimeDep
from emulator.routes.schemas import Deleted
from emulator.storage.paging import parse_cursor, parse_limit
from emulator.waiting import DEFAULT_TIMEOUT, MAX_TIMEOUT, NEAR_MISSES, wait_for_count
from emulator.web import JsonResponse
from emulator.webhooks.log import AttemptFilters
from emulator.webhooks.rules import WebhookRule, WebhookRuleError, parse_webhooks

router = APIRouter(tags=["webhooks"])

# A wait is counted again after each attempt, and after a reset (which empties the log).
WAKING_KINDS = frozenset({WEBHOOK, RESET})

_RULE_EXAMPLE: JsonDict = {
    "url": "http://worker:9000/push-events",
    "events": ["send", "send.status"],
    "secret": "s3cret-for-hmac",
    "delayMs": 0,
    "headers": {"X-Stack": "dev"},
}
_ATTEMPT_EXAMPLE: JsonDict = {
    "id": 7,
    "at": "2030-01-01T10:00:00.120Z",
    "webhook": 0,
    "url": "http://worker:9000/push-events",
    "eventId": 42,
    "eventKind": "send.status",
    "attempt": 1,
    "result": "delivered",
    "status": 200,
    "latencyMs": 3.1,
    "error": None,
}


class WebhookShown(BaseModel):
    """A webhook as the API shows it: the secret, header values and URL credentials masked."""

    url: str
    events: list[str]
    secret: str | None
    delayMs: int
    headers: dict[str, str]


_STATUS_EXAMPLE: JsonDict = {
    "index": 0,
    "webhook": {**_RULE_EXAMPLE, "secret": "s3cr…ac", "headers": {"X-Stack": "****"}},
    "queued": 0,
    "delivered": 12,
    "failed": 1,
    "gaveUp": 0,
    "dropped": 0,
}
_WAIT_FAILED_EXAMPLE: JsonDict = {
    "code": 408,
    "message": "Timed out after 10s: 0 of 1 webhook attempt(s) matched.",
    "matched": 0,
    "count": 1,
    "nearMisses": [{**_ATTEMPT_EXAMPLE, "result": "failed", "status": 500}],
}


class WebhookStatus(BaseModel):
    index: int
    webhook: WebhookShown
    queued: int = Field(description="events waiting for this webhook")
    delivered: int
    failed: int = Field(description="attempts that failed and were tried again")
    gaveUp: int = Field(description="events given up after the last try")
    dropped: int = Field(description="events dropped, oldest first, from a full queue")


class WebhookAttemptPage(BaseModel):
    items: list[WebhookAttempt]
    nextCursor: str | None


class WebhookAttemptsMatched(BaseModel):
    matched: int
    items: list[WebhookAttempt]


class WebhookWaitTimedOut(BaseModel):
    code: int
    message: str
    matched: int
    count: int
    nearMisses: list[WebhookAttempt] = Field(description="the newest attempts that did not match")


class _Query(BaseModel):
    # Query strings carry text ("3" is a fine count); undeclared ones are refused before.
    model_config = ConfigDict(extra="ignore")


def _query_model(name: str, *names: str, **typed: Any) -> type[_Query]:
    fields: dict[str, Any] = {n: (str | None, None) for n in names}
    return create_model(name, __base__=_Query, **fields, **typed)


_FILTER_NAMES = [f.param for f in WEBHOOK_LOG_FILTERS]
LogQuery = _query_model(
    "LogQuery",
    *_FILTER_NAMES,
    limit=(Annotated[int, Field(ge=1)] | None, None),
    cursor=(str | None, None),
)
WaitQuery = _query_model(
    "WaitQuery",
    *_FILTER_NAMES,
    count=(Annotated[int, Field(ge=1, le=1_000_000)], 1),
    timeout=(Annotated[float, Field(ge=0)], DEFAULT_TIMEOUT),
)


def _read_query(
    model: type[_Query], request: Request, others: tuple[Filter, ...]
) -> tuple[AttemptFilters, dict[str, Any]]:
    """The log's filters, and the other parameters' values, from a validated query; a
    parameter neither declares is a 400 naming it (a typo would otherwise match everything)."""
    problems = unknown_params(request.query_params.keys(), WEBHOOK_LOG_FILTERS, others)
    if problems:
        raise BadRequest(problems)
    values = validate(model, dict(request.query_params)).model_dump()
    given = {name: values.pop(name) for name in _FILTER_NAMES if values.get(name) is not None}
    for name in _FILTER_NAMES:
        values.pop(name, None)
    return AttemptFilters.from_query(given), values


_PUT_DOC = json_body(list[WebhookRule], [_RULE_EXAMPLE], "every webhook")
_WEBHOOKS: Responses = {200: answer(list[WebhookStatus], [_STATUS_EXAMPLE], "the webhooks")}
_BAD_FILTER = error(
    400, "result: must be one of delivered, failed, gave_up, got 'ok'", "a bad filter"
)
_LOG_DOC = {"parameters": openapi_parameters(WEBHOOK_LOG_FILTERS, PAGE_PARAMS)}
_WAIT_DOC = {"parameters": openapi_parameters(WEBHOOK_LOG_FILTERS, WAIT_PARAMS)}


@router.get("/webhooks", responses=_WEBHOOKS)
async def get_webhooks(runtime: RuntimeDep) -> JsonResponse:
    """The webhooks in force, each with its queue and counts since it was set."""
    return JsonResponse(runtime.webhooks.status())


@router.put(
    "/webhooks",
    responses={**_WEBHOOKS, **error(400, "[0].url: must be an http(s) URL", "a bad webhook")},
    openapi_extra=_PUT_DOC,
)
async def put_webhooks(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Replace every webhook (events still waiting for the old ones are discarded)."""
    try:
        rules = parse_webhooks(parse_json_body(await request.body()))
    except WebhookRuleError as error:
        raise BadRequest(error.problems) from None
    runtime.webhooks.replace(rules)
    return JsonResponse(runtime.webhooks.status())


@router.delete(
    "/webhooks", responses={200: answer(list[WebhookStatus], [], "no webhooks are left")}
)
async def delete_webhooks(runtime: RuntimeDep) -> JsonResponse:
    """No webhooks until the next PUT or reset (a reset brings back EMULATOR_WEBHOOKS)."""
    runtime.webhooks.clear()
    return JsonResponse([])


@router.get(
    "/webhooks/deliveries",
    openapi_extra=_LOG_DOC,
    responses={
        200: answer(
            WebhookAttemptPage, {"items": [_ATTEMPT_EXAMPLE], "nextCursor": None}, "one page"
        ),
        **_BAD_FILTER,
    },
)
async def deliveries(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Every attempt, newest first: result, status, latency, error and the event's id."""
    filters, paging = _read_query(LogQuery, request, PAGE_PARAMS)
    limit, cursor = parse_limit(paging["limit"]), parse_cursor(paging["cursor"])
    return JsonResponse(runtime.webhooks.log.page(filters, cursor, limit).to_json())


@router.delete(
    "/webhooks/deliveries", responses={200: answer(Deleted, {"deleted": 3}, "how many went")}
)
async def delete_deliveries(runtime: RuntimeDep) -> JsonResponse:
    """Empty the deliveries log."""
    return JsonResponse({"deleted": runtime.webhooks.log.clear()})


@router.get(
    "/webhooks/deliveries/wait",
    openapi_extra=_WAIT_DOC,
    responses={
        200: answer(
            WebhookAttemptsMatched, {"matched": 1, "items": [_ATTEMPT_EXAMPLE]}, "enough matched"
        ),
        408: answer(WebhookWaitTimedOut, _WAIT_FAILED_EXAMPLE, "fewer matching attempts in time"),
        503: answer(
            WebhookWaitTimedOut,
            {**_WAIT_FAILED_EXAMPLE, "code": 503, "message": "The emulator is shutting down."},
            "the server stopped while waiting",
        ),
        **_BAD_FILTER,
    },
)
async def wait(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Answer once `count` attempts in the log match; else 408 after `timeout` seconds."""
    filters, waiting = _read_query(WaitQuery, request, WAIT_PARAMS)
    count, timeout = int(waiting["count"]), min(float(waiting["timeout"]), MAX_TIMEOUT)
    log = runtime.webhooks.log
    outcome = await wait_for_count(
        runtime.events, lambda: log.count(filters), count, timeout, WAKING_KINDS
    )
    if outcome.satisfied:
        items = log.page(filters, None, min(count, 500)).items
        return JsonResponse({"matched": outcome.matched, "items": items})
    status = 503 if outcome.shutting_down else 408
    message = (
        "The emulator is shutting down."
        if outcome.shutting_down
        else f"Timed out after {timeout:g}s: {outcome.matched} of {count} webhook attempt(s) "
        "matched."
    )
    body = {
        "code": status,
        "message": message,
        "matched": outcome.matched,
        "count": count,
        "nearMisses": log.not_matching(filters, NEAR_MISSES),
    }
    return JsonResponse(body, status_code=status)
