"""/_emulator routes that read what was recorded: sends, the journal, waits and the export."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import StreamingResponse

from emulator.errors import NotFound
from emulator.queries import (
    RequestFilters,
    SendFilters,
    count_sends,
    export_sends,
    list_requests,
    list_sends,
    parse_cursor,
    parse_limit,
    recent_non_matching,
    send_detail,
)
from emulator.responses import JsonResponse
from emulator.retention import clear_journal, clear_sends
from emulator.routes.deps import RuntimeDep
from emulator.runtime import Runtime
from emulator.waiting import DEFAULT_TIMEOUT, MAX_TIMEOUT, target_filters, wait_for_count

router = APIRouter(prefix="/_emulator", tags=["inspect"])

NEAR_MISSES = 3


class SendQuery(BaseModel):
    """Filters of the sends list; every one is optional and they combine with AND."""

    trackingId: str | None = None
    applicationId: str | None = None
    segmentId: str | None = None
    tableId: str | None = None
    templateId: str | None = None
    status: str | None = Field(None, description="Queued, Scheduled, Sending or Completed")
    contactKey: str | None = Field(None, description="a recipient's contact key (deliveries)")
    token: str | None = Field(None, description="a recipient's device token (deliveries)")
    apiUser: str | None = None
    q: str | None = Field(None, description="text in a title or message")
    since: str | None = Field(None, description="received at or after (ISO 8601, UTC)")
    until: str | None = Field(None, description="received before (ISO 8601, UTC)")

    def filters(self) -> SendFilters:
        return SendFilters.from_query(self.model_dump(exclude_none=True))


class SendPageQuery(SendQuery):
    limit: Annotated[int, Field(ge=1)] | None = None
    cursor: str | None = Field(None, description="nextCursor of the previous page")


class WaitQuery(SendQuery):
    count: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    timeout: Annotated[float, Field(ge=0)] = Field(
        DEFAULT_TIMEOUT, description=f"seconds; at most {MAX_TIMEOUT:g}"
    )


class RequestQuery(BaseModel):
    status: str | None = Field(None, description="an HTTP status (429) or a class (4xx)")
    path: str | None = None
    apiUser: str | None = None
    since: str | None = None
    limit: Annotated[int, Field(ge=1)] | None = None
    cursor: str | None = None


async def _read(runtime: Runtime, read: Any) -> Any:
    """Wait for earlier writes to commit, then read off the event loop (read-your-writes)."""
    await runtime.writer.barrier()

    def run() -> Any:
        with runtime.engine.connect() as connection:
            return read(connection)

    return await run_in_threadpool(run)


@router.get("/sends")
async def sends(query: Annotated[SendPageQuery, Query()], runtime: RuntimeDep) -> JsonResponse:
    """Accepted sends, newest first; page on with `cursor=<nextCursor>`."""
    filters = query.filters()
    limit = parse_limit(query.limit)
    cursor = parse_cursor(query.cursor)
    page = await _read(runtime, lambda c: list_sends(c, filters, cursor, limit))
    return JsonResponse(page.to_json())


@router.delete("/sends")
async def delete_sends(runtime: RuntimeDep) -> JsonResponse:
    """Clear every send and delivery (the journal stays; see DELETE /_emulator/requests)."""
    removed = await runtime.writer.run(clear_sends)
    return JsonResponse({"deleted": removed})


@router.get("/sends/wait")
async def wait(query: Annotated[WaitQuery, Query()], runtime: RuntimeDep) -> JsonResponse:
    """Answer once `count` matching sends are Completed (or in the status asked); else 408."""
    filters = target_filters(query.filters())
    timeout = min(query.timeout, MAX_TIMEOUT)
    await runtime.writer.barrier()

    def count() -> int:
        with runtime.engine.connect() as connection:
            return count_sends(connection, filters)

    outcome = await wait_for_count(runtime.events, count, query.count, timeout)
    if outcome.satisfied:
        limit = min(query.count, 500)
        page = await _read(runtime, lambda c: list_sends(c, filters, None, limit))
        return JsonResponse({"matched": outcome.matched, "items": page.items})
    near = await _read(runtime, lambda c: recent_non_matching(c, filters, NEAR_MISSES))
    if outcome.shutting_down:
        message, status = "The emulator is shutting down.", 503
    else:
        message = (
            f"Timed out after {timeout:g}s: {outcome.matched} of {query.count} "
            f"{filters.status} send(s) matched."
        )
        status = 408
    return JsonResponse(
        {
            "code": status,
            "message": message,
            "matched": outcome.matched,
            "count": query.count,
            "status": filters.status,
            "nearMisses": near,
        },
        status_code=status,
    )


@router.get("/sends/{key}")
async def send(key: str, runtime: RuntimeDep) -> JsonResponse:
    """The newest send with this tracking id (or this transaction id), with its deliveries."""
    found = await _read(runtime, lambda c: send_detail(c, key))
    if found is None:
        raise NotFound(f"No send with tracking id or transaction id {key!r}.")
    return JsonResponse(found)


@router.get("/requests")
async def requests(query: Annotated[RequestQuery, Query()], runtime: RuntimeDep) -> JsonResponse:
    """Every /rest request, refused ones included, newest first."""
    filters = RequestFilters.from_query(query.model_dump(exclude_none=True))
    limit = parse_limit(query.limit)
    cursor = parse_cursor(query.cursor)
    page = await _read(runtime, lambda c: list_requests(c, filters, cursor, limit))
    return JsonResponse(page.to_json())


@router.delete("/requests")
async def delete_requests(runtime: RuntimeDep) -> JsonResponse:
    removed = await runtime.writer.run(clear_journal)
    return JsonResponse({"deleted": removed})


@router.get("/export")
async def export(query: Annotated[SendQuery, Query()], runtime: RuntimeDep) -> StreamingResponse:
    """Matching sends with their deliveries as NDJSON, oldest first, streamed page by page."""
    filters = query.filters()
    await runtime.writer.barrier()
    return StreamingResponse(
        export_sends(runtime.engine, filters), media_type="application/x-ndjson"
    )
