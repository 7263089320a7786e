"""The web inbox's routes: page shells (public) and the HTML fragments they load (admin)."""

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.responses import HTMLResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

from emulator import CONTROL_PREFIX
from emulator.errors import BadRequest
from emulator.events import DELIVERY, PRUNE, REQUEST, RESET, SEND, SEND_STATUS
from emulator.routes.deps import RuntimeDep
from emulator.runtime import Runtime
from emulator.storage.journal import RequestFilters, list_requests
from emulator.storage.sends import SendFilters, count_sends, list_sends, send_detail
from emulator.ui.html import Html
from emulator.ui.inbox import (
    INBOX_LIMIT,
    InboxQuery,
    error_box,
    inbox_body,
    inbox_fragment_url,
    inbox_list,
)
from emulator.ui.layout import FRAGMENTS, SECURITY_HEADERS, STATIC, UI, page
from emulator.ui.requests_view import (
    REQUESTS_LIMIT,
    RequestsQuery,
    requests_body,
    requests_fragment_url,
    requests_list,
)
from emulator.ui.send_view import send_detail_body, send_fragment_url

STATIC_URL = STATIC
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Pages carry no recorded data when an admin token is set, so they are public; the
# fragments (and every JSON route the script calls) are behind the token. Fragments sit
# under the control prefix (app.py sets it); pages at their absolute paths, `/` among them.
pages = APIRouter(include_in_schema=False)
fragments = APIRouter(prefix=FRAGMENTS.removeprefix(CONTROL_PREFIX), include_in_schema=False)

# Events after which each view re-reads its fragment.
INBOX_EVENTS = ",".join([SEND, SEND_STATUS, RESET, PRUNE])
SEND_EVENTS = ",".join([SEND_STATUS, DELIVERY, RESET, PRUNE])
REQUEST_EVENTS = ",".join([REQUEST, RESET, PRUNE])

Part = Literal["list", "body"]


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


def html(content: Html, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers=SECURITY_HEADERS)


def _auth_required(runtime: Runtime) -> bool:
    return runtime.settings.admin_token is not None


# -- the inbox ------------------------------------------------------------------------------


async def _inbox(runtime: Runtime, query: InboxQuery) -> tuple[Html, int]:
    try:
        filters = SendFilters.from_query(query.params())
    except BadRequest as error:
        return error_box("; ".join(error.problems)), 400

    def read(connection: Connection) -> tuple[Any, int]:
        return list_sends(connection, filters, None, INBOX_LIMIT), count_sends(connection, filters)

    listing, total = await runtime.read(read)
    filtered = any(query.params().values())
    return inbox_list(listing, total, runtime.fixtures, filtered), 200


@pages.get("/")
@pages.get(f"{UI}/")
async def inbox_page(
    runtime: RuntimeDep,
    applicationId: str = "",
    status: str = "",
    q: str = "",
    kind: str = "",
) -> HTMLResponse:
    query = InboxQuery(applicationId, status, q, kind)
    listing, code = (Html(""), 200)
    if not _auth_required(runtime):
        listing, code = await _inbox(runtime, query)
    body = inbox_body(query, runtime.fixtures, listing)
    return html(
        page(
            "Inbox",
            current="inbox",
            body=body,
            fragment=inbox_fragment_url(query),
            events=INBOX_EVENTS,
            auth_required=_auth_required(runtime),
        ),
        code,
    )


@pages.get(UI)
async def ui_root() -> RedirectResponse:
    return RedirectResponse(f"{UI}/")


@fragments.get("/inbox")
async def inbox_fragment(
    runtime: RuntimeDep,
    part: Part = "list",
    applicationId: str = "",
    status: str = "",
    q: str = "",
    kind: str = "",
) -> HTMLResponse:
    query = InboxQuery(applicationId, status, q, kind)
    listing, code = await _inbox(runtime, query)
    if part == "body":
        return html(inbox_body(query, runtime.fixtures, listing), code)
    return html(listing, code)


# -- one send -------------------------------------------------------------------------------


async def _send(request: Request, runtime: Runtime, key: str) -> tuple[Html, int]:
    found = await runtime.read(lambda c: send_detail(c, key))
    if found is None:
        return error_box(f"No send with tracking id or transaction id {key!r}."), 404
    return send_detail_body(found, runtime.fixtures, str(request.base_url)), 200


@pages.get(UI + "/sends/{key}")
async def send_page(request: Request, key: str, runtime: RuntimeDep) -> HTMLResponse:
    body, code = Html(""), 200
    if not _auth_required(runtime):
        body, code = await _send(request, runtime, key)
    return html(
        page(
            "Send",
            current="send",
            body=body,
            fragment=send_fragment_url(key),
            events=SEND_EVENTS,
            auth_required=_auth_required(runtime),
        ),
        code,
    )


@fragments.get("/sends/{key}")
async def send_fragment(request: Request, key: str, runtime: RuntimeDep) -> HTMLResponse:
    body, code = await _send(request, runtime, key)
    return html(body, code)


# -- the journal ----------------------------------------------------------------------------


async def _requests(runtime: Runtime, query: RequestsQuery) -> tuple[Html, int]:
    try:
        filters = RequestFilters.from_query(query.params())
    except BadRequest as error:
        return error_box("; ".join(error.problems)), 400
    listing = await runtime.read(lambda c: list_requests(c, filters, None, REQUESTS_LIMIT))
    return requests_list(listing.items, bool(query.status)), 200


@pages.get(UI + "/requests")
async def requests_page(runtime: RuntimeDep, status: str = "") -> HTMLResponse:
    query = RequestsQuery(status)
    listing, code = Html(""), 200
    if not _auth_required(runtime):
        listing, code = await _requests(runtime, query)
    return html(
        page(
            "Requests",
            current="requests",
            body=requests_body(query, listing),
            fragment=requests_fragment_url(query),
            events=REQUEST_EVENTS,
            auth_required=_auth_required(runtime),
        ),
        code,
    )


@fragments.get("/requests")
async def requests_fragment(
    runtime: RuntimeDep, part: Part = "list", status: str = ""
) -> HTMLResponse:
    query = RequestsQuery(status)
    listing, code = await _requests(runtime, query)
    if part == "body":
        return html(requests_body(query, listing), code)
    return html(listing, code)
