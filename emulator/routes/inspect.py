"""/_emulator routes that read what was recorded: sends, the journal, waits and the export."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlalchemy import Connection
from starlette.responses import StreamingResponse

from emulator.bodies import validate
from emulator.client.shapes import ExportedSend, RequestsPage, SendDetail, SendItem, SendsPage
from emulator.errors import BadRequest, NotFound
from emulator.filters import (
    PAGE_PARAMS,
    REQUEST_FILTERS,
    SCOPE_PARAMS,
    SEND_FILTERS,
    WAIT_PARAMS,
    Filter,
    openapi_parameters,
    unknown_params,
)
from emulator.openapi import NDJSON, Responses, Shape, answer, error, ndjson_answer
from emulator.routes.deps import RuntimeDep
from emulator.routes.schemas import (
    EXPORTED_EXAMPLE,
    REQUEST_PAGE_EXAMPLE,
    SEND_DETAIL_EXAMPLE,
    SEND_EXAMPLE,
    SEND_PAGE_EXAMPLE,
    Deleted,
)
from emulator.runtime import Runtime
from emulator.storage.journal import RequestFilters, list_requests
from emulator.storage.paging import Page, parse_cursor, parse_limit
from emulator.storage.retention import clear_journal, clear_sends
from emulator.storage.sends import SendFilters, export_sends, list_sends, send_detail
from emulator.waiting import DEFAULT_TIMEOUT, wait_for_sends
from emulator.web import JsonResponse

router = APIRouter(tags=["inspect"])


class NdjsonResponse(StreamingResponse):
    media_type = NDJSON


class _Query(BaseModel):
    # Query strings carry text: "3" is a fine count. Unknown parameters were refused before
    # (`declared_query`); each model reads its own share of the ones a route declares.
    model_config = ConfigDict(extra="ignore")


class Paging(_Query):
    limit: Annotated[int, Field(ge=1)] | None = None
    cursor: str | None = None


class Waiting(_Query):
    count: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    timeout: Annotated[float, Field(ge=0)] = DEFAULT_TIMEOUT


def _filters_model(name: str, filters: tuple[Filter, ...]) -> type[_Query]:
    """Every declared filter as an optional text field, so wrong types are named 400s."""
    fields: dict[str, Any] = {f.param: (str | None, None) for f in filters}
    return create_model(name, __base__=_Query, **fields)


SendQuery = _filters_model("SendQuery", SEND_FILTERS)
RequestQuery = _filters_model("RequestQuery", REQUEST_FILTERS)


def declared_query(request: Request, *declared: tuple[Filter, ...]) -> dict[str, str]:
    """The query, once every parameter in it is one the route declares: a misspelt filter
    would otherwise match everything, and a test that should fail would pass."""
    problems = unknown_params(request.query_params.keys(), *declared)
    if problems:
        raise BadRequest(problems)
    return dict(request.query_params)


def _scope(request: Request) -> str | None:
    """The `apiUser` a detail or a clear is limited to, if any; nothing else is taken."""
    return declared_query(request, SCOPE_PARAMS).get("apiUser") or None


def _send_filters(query: dict[str, str]) -> SendFilters:
    given = validate(SendQuery, query).model_dump(exclude_none=True)
    return SendFilters.from_query(given)


async def _page_of(
    runtime: Runtime,
    query: dict[str, str],
    lister: Callable[[Connection, Any, int | None, int], Page],
    filters: Any,
) -> JsonResponse:
    """One page of a list, after the filters and the paging parameters are validated."""
    paging = validate(Paging, query)
    cursor, limit = parse_cursor(paging.cursor), parse_limit(paging.limit)
    page = await runtime.read(lambda c: lister(c, filters, cursor, limit))
    return JsonResponse(page.to_json())


SendKey = Annotated[str, PathParam(description="a tracking id, or a send's transaction id")]


class WaitMatched(Shape):
    matched: int
    items: list[SendItem]  # the matching sends, newest first (at most `count`, up to 500)


class WaitFailed(Shape):
    """408: too few sends matched in time (503: the server is stopping); the near misses are
    the newest sends that did not match, to show what was sent instead."""

    code: int
    message: str
    matched: int
    count: int
    status: str  # the status waited for: Completed unless the filter asked another
    nearMisses: list[SendItem]


_SENDS_DOC = {"parameters": openapi_parameters(SEND_FILTERS, PAGE_PARAMS)}
_WAIT_DOC = {"parameters": openapi_parameters(SEND_FILTERS, WAIT_PARAMS)}
_EXPORT_DOC = {"parameters": openapi_parameters(SEND_FILTERS)}
_REQUESTS_DOC = {"parameters": openapi_parameters(REQUEST_FILTERS, PAGE_PARAMS)}
_SCOPE_DOC = {"parameters": openapi_parameters(SCOPE_PARAMS)}

_BAD_FILTER = error(
    400, "status: must be one of Queued, Scheduled, Sending, Completed, got 'done'", "a bad filter"
)
_DELETED: Responses = {200: answer(Deleted, {"deleted": 3}, "how many were removed")}
_WAIT_FAILED_EXAMPLE = {
    "code": 408,
    "message": "Timed out after 10s: 0 of 1 Completed send(s) matched.",
    "matched": 0,
    "count": 1,
    "status": "Completed",
    "nearMisses": [SEND_EXAMPLE],
}
_WAIT_ANSWERS: Responses = {
    200: answer(WaitMatched, {"matched": 1, "items": [SEND_EXAMPLE]}, "enough sends matched"),
    408: answer(WaitFailed, _WAIT_FAILED_EXAMPLE, "timed out; the near misses show why"),
    503: answer(
        WaitFailed,
        {**_WAIT_FAILED_EXAMPLE, "code": 503, "message": "The emulator is shutting down."},
        "the server stopped while waiting",
    ),
    **_BAD_FILTER,
}


@router.get(
    "/sends",
    openapi_extra=_SENDS_DOC,
    responses={200: answer(SendsPage, SEND_PAGE_EXAMPLE, "one page of sends"), **_BAD_FILTER},
)
async def sends(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Accepted sends, newest first; page on with `cursor=<nextCursor>`."""
    query = declared_query(request, SEND_FILTERS, PAGE_PARAMS)
    return await _page_of(runtime, query, list_sends, _send_filters(query))


@router.delete("/sends", openapi_extra=_SCOPE_DOC, responses=_DELETED)
async def delete_sends(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Clear every send and delivery, or with `apiUser` only that user's (the journal stays;
    see DELETE /_emulator/requests). No other filter: `?trackingId=` must not read as
    "delete only that one"."""
    api_user = _scope(request)
    removed = await runtime.writer.run(lambda c: clear_sends(c, api_user))
    return JsonResponse({"deleted": removed})


@router.get("/sends/wait", openapi_extra=_WAIT_DOC, responses=_WAIT_ANSWERS)
async def wait(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Answer once `count` matching sends are Completed (or in the status asked); else 408."""
    query = declared_query(request, SEND_FILTERS, WAIT_PARAMS)
    filters = _send_filters(query)
    waiting = validate(Waiting, query)
    answer = await wait_for_sends(runtime, filters, waiting.count, waiting.timeout)
    return JsonResponse(answer.body, status_code=answer.status)


@router.get(
    "/sends/{key}",
    openapi_extra=_SCOPE_DOC,
    responses={
        200: answer(SendDetail, SEND_DETAIL_EXAMPLE, "the send with its deliveries"),
        **error(404, "No send with tracking id or transaction id 'x'.", "no such send"),
    },
)
async def send(key: SendKey, request: Request, runtime: RuntimeDep) -> JsonResponse:
    """The newest send with this tracking id (or this transaction id), with its deliveries;
    with `apiUser`, only a send of that API user."""
    api_user = _scope(request)
    found = await runtime.read(lambda c: send_detail(c, key, api_user))
    if found is None:
        whose = f" of API user {api_user!r}" if api_user else ""
        raise NotFound(f"No send{whose} with tracking id or transaction id {key!r}.")
    return JsonResponse(found)


@router.get(
    "/requests",
    openapi_extra=_REQUESTS_DOC,
    responses={
        200: answer(RequestsPage, REQUEST_PAGE_EXAMPLE, "one page of the journal"),
        **error(400, "status: must be an HTTP status such as 429 or 4xx: 'x'", "a bad filter"),
    },
)
async def requests(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Every /rest request, refused ones included, newest first."""
    query = declared_query(request, REQUEST_FILTERS, PAGE_PARAMS)
    given = validate(RequestQuery, query).model_dump(exclude_none=True)
    return await _page_of(runtime, query, list_requests, RequestFilters.from_query(given))


@router.delete("/requests", openapi_extra=_SCOPE_DOC, responses=_DELETED)
async def delete_requests(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Clear the journal, or with `apiUser` only the rows naming that user."""
    api_user = _scope(request)
    removed = await runtime.writer.run(lambda c: clear_journal(c, api_user))
    return JsonResponse({"deleted": removed})


@router.get(
    "/export",
    openapi_extra=_EXPORT_DOC,
    response_class=NdjsonResponse,
    responses={
        200: ndjson_answer(
            ExportedSend, [EXPORTED_EXAMPLE], "one JSON object per line: a send and its deliveries"
        ),
        **_BAD_FILTER,
    },
)
async def export(request: Request, runtime: RuntimeDep) -> NdjsonResponse:
    """Matching sends with their deliveries as NDJSON, oldest first, streamed page by page."""
    filters = _send_filters(declared_query(request, SEND_FILTERS))
    await runtime.writer.barrier()
    return NdjsonResponse(export_sends(runtime.engine, filters))
