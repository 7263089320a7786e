"""The web inbox's routes: page shells (public) and the HTML fragments they load (admin)."""

from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from sqlalchemy import Connection
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from emulator import CONTROL_PREFIX
from emulator.errors import BadRequest
from emulator.events import (
    DELIVERIES,
    DELIVERY,
    PRUNE,
    REQUEST,
    RESET,
    SEND,
    SEND_READ,
    SEND_STATUS,
    WEBHOOK,
)
from emulator.routes.deps import RuntimeDep
from emulator.runtime import Runtime
from emulator.storage.inbox import count_unread, deliveries_to_token, first_deliveries
from emulator.storage.journal import RequestFilters, list_requests
from emulator.storage.paging import parse_cursor
from emulator.storage.sends import SendFilters, count_sends, list_sends, send_detail
from emulator.ui.device_view import FEED_LIMIT, Feed, contact_body, device_body, device_feed
from emulator.ui.html import Html
from emulator.ui.inbox import (
    INBOX_LIMIT,
    InboxQuery,
    Listing,
    error_box,
    inbox_body,
    inbox_fragment_url,
    inbox_list,
)
from emulator.ui.layout import (
    FRAGMENTS,
    PLATFORM_CSS,
    SECURITY_HEADERS,
    STATIC,
    UI,
    page,
    with_query,
)
from emulator.ui.platforms import platform_css
from emulator.ui.preview import contact_url, device_url
from emulator.ui.requests_view import (
    REQUESTS_LIMIT,
    RequestsQuery,
    requests_body,
    requests_fragment_url,
    requests_list,
)
from emulator.ui.send_view import send_detail_body, send_fragment_url
from emulator.ui.webhooks_view import (
    WEBHOOKS_LIMIT,
    WebhooksQuery,
    webhooks_body,
    webhooks_fragment_url,
    webhooks_list,
)
from emulator.webhooks.log import AttemptFilters

STATIC_URL = STATIC
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

# Pages carry no recorded data when an admin token is set, so they are public; the
# fragments (and every JSON route the script calls) are behind the token. Fragments sit
# under the control prefix (app.py sets it); pages at their absolute paths, `/` among them.
pages = APIRouter(include_in_schema=False)
fragments = APIRouter(prefix=FRAGMENTS.removeprefix(CONTROL_PREFIX), include_in_schema=False)

# Events after which each view re-reads its fragment. Every page also hears send.status,
# for the browser notifications it may show (static/ui/notify.js).
INBOX_EVENTS = ",".join([SEND, SEND_STATUS, SEND_READ, RESET, PRUNE])
SEND_EVENTS = ",".join([SEND_STATUS, DELIVERY, DELIVERIES, RESET, PRUNE])
REQUEST_EVENTS = ",".join([REQUEST, RESET, PRUNE])
FEED_EVENTS = ",".join([SEND_STATUS, DELIVERY, SEND_READ, RESET, PRUNE])
WEBHOOK_EVENTS = ",".join([WEBHOOK, RESET])

Part = Literal["list", "body"]


def static_files() -> StaticFiles:
    return StaticFiles(directory=STATIC_DIR)


def html(content: Html, status_code: int = 200) -> HTMLResponse:
    return HTMLResponse(content, status_code=status_code, headers=SECURITY_HEADERS)


def _auth_required(runtime: Runtime) -> bool:
    return runtime.settings.admin_token is not None


def _shell(
    runtime: Runtime, title: str, current: str, body: Html, fragment: str, events: str, code: int
) -> HTMLResponse:
    return html(
        page(
            title,
            current=current,
            body=body,
            fragment=fragment,
            events=events,
            auth_required=_auth_required(runtime),
        ),
        code,
    )


def _fragment_of(page_url: str, cursor: str) -> str:
    """The fragment a page re-reads: its own path under the fragments' prefix, same page."""
    return with_query(FRAGMENTS + page_url.removeprefix(UI), cursor=cursor)


@pages.get(PLATFORM_CSS)
async def platforms_stylesheet() -> Response:
    """The previews' per-platform clamps, generated from the one module that has them."""
    return Response(platform_css(), media_type="text/css", headers={"Cache-Control": "no-cache"})


# -- the inbox (and a contact's view of it) -------------------------------------------------


async def _inbox(runtime: Runtime, query: InboxQuery, base: str) -> tuple[Html, int]:
    try:
        filters = SendFilters.from_query(query.api_filters(runtime.fixtures))
        cursor, top = parse_cursor(query.cursor), parse_cursor(query.top)
    except BadRequest as error:
        return error_box("; ".join(error.problems)), 400
    # A list being read stays as it was: nothing newer than `top` comes into it.
    bound = cursor if top is None else min(cursor or top + 1, top + 1)

    def read(connection: Connection) -> Listing:
        listed = list_sends(connection, filters, bound, INBOX_LIMIT)
        return Listing(
            page=listed,
            total=count_sends(connection, filters),
            newer=count_sends(connection, filters, above=top) if top is not None else 0,
            unread=count_unread(connection),
            first=first_deliveries(connection, [s["id"] for s in listed.items]),
        )

    listing = await runtime.read(read)
    return inbox_list(listing, runtime.fixtures, query, base), 200


@pages.get("/")
@pages.get(f"{UI}/")
async def inbox_page(
    runtime: RuntimeDep,
    applicationId: str = "",
    status: str = "",
    q: str = "",
    kind: str = "",
    cursor: str = "",
) -> HTMLResponse:
    query = InboxQuery(applicationId, status, q, kind, cursor)
    listing, code = (Html(""), 200)
    if not _auth_required(runtime):
        listing, code = await _inbox(runtime, query, f"{UI}/")
    body = inbox_body(query, runtime.fixtures, listing)
    return _shell(runtime, "Inbox", "inbox", body, inbox_fragment_url(query), INBOX_EVENTS, code)


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
    cursor: str = "",
    top: str = "",
) -> HTMLResponse:
    query = InboxQuery(applicationId, status, q, kind, cursor, top)
    listing, code = await _inbox(runtime, query, f"{UI}/")
    if part == "body":
        return html(inbox_body(query, runtime.fixtures, listing), code)
    return html(listing, code)


@pages.get(UI + "/contacts/{contact_key:path}")
async def contact_page(contact_key: str, runtime: RuntimeDep, cursor: str = "") -> HTMLResponse:
    query = InboxQuery(cursor=cursor, contact_key=contact_key)
    listing, code = Html(""), 200
    if not _auth_required(runtime):
        listing, code = await _inbox(runtime, query, contact_url(contact_key))
    body = contact_body(contact_key, runtime.fixtures, listing)
    fragment = _fragment_of(contact_url(contact_key), cursor)
    return _shell(runtime, "Contact", "contact", body, fragment, INBOX_EVENTS, code)


@fragments.get("/contacts/{contact_key:path}")
async def contact_fragment(
    contact_key: str,
    runtime: RuntimeDep,
    part: Part = "list",
    cursor: str = "",
    top: str = "",
) -> HTMLResponse:
    query = InboxQuery(cursor=cursor, top=top, contact_key=contact_key)
    listing, code = await _inbox(runtime, query, contact_url(contact_key))
    if part == "body":
        return html(contact_body(contact_key, runtime.fixtures, listing), code)
    return html(listing, code)


# -- one device's inbox ---------------------------------------------------------------------


async def _feed(runtime: Runtime, token: str, cursor: str) -> tuple[Html, int]:
    try:
        after = parse_cursor(cursor)
    except BadRequest as error:
        return error_box("; ".join(error.problems)), 400
    filters = SendFilters.from_query({"token": token})

    def read(connection: Connection) -> Feed:
        listed = list_sends(connection, filters, after, FEED_LIMIT)
        ids = [s["id"] for s in listed.items]
        return Feed(listed, deliveries_to_token(connection, ids, token))

    feed = await runtime.read(read)
    return device_feed(token, feed, runtime.fixtures, runtime.clock.now(), cursor), 200


@pages.get(UI + "/devices/{token:path}")
async def device_page(token: str, runtime: RuntimeDep, cursor: str = "") -> HTMLResponse:
    listing, code = Html(""), 200
    if not _auth_required(runtime):
        listing, code = await _feed(runtime, token, cursor)
    body = device_body(token, runtime.fixtures, listing)
    fragment = _fragment_of(device_url(token), cursor)
    return _shell(runtime, "Device", "device", body, fragment, FEED_EVENTS, code)


@fragments.get("/devices/{token:path}")
async def device_fragment(
    token: str, runtime: RuntimeDep, part: Part = "list", cursor: str = ""
) -> HTMLResponse:
    listing, code = await _feed(runtime, token, cursor)
    if part == "body":
        return html(device_body(token, runtime.fixtures, listing), code)
    return html(listing, code)


# -- one send -------------------------------------------------------------------------------


async def _send(request: Request, runtime: Runtime, key: str) -> tuple[Html, int]:
    found = await runtime.read(lambda c: send_detail(c, key))
    if found is None:
        return error_box(f"No send with tracking id or transaction id {key!r}."), 404
    body = send_detail_body(found, runtime.fixtures, str(request.base_url), runtime.clock.now())
    return body, 200


@pages.get(UI + "/sends/{key}")
async def send_page(request: Request, key: str, runtime: RuntimeDep) -> HTMLResponse:
    body, code = Html(""), 200
    if not _auth_required(runtime):
        body, code = await _send(request, runtime, key)
    return _shell(runtime, "Send", "send", body, send_fragment_url(key), SEND_EVENTS, code)


@fragments.get("/sends/{key}")
async def send_fragment(request: Request, key: str, runtime: RuntimeDep) -> HTMLResponse:
    body, code = await _send(request, runtime, key)
    return html(body, code)


# -- the journal ----------------------------------------------------------------------------


async def _requests(runtime: Runtime, query: RequestsQuery) -> tuple[Html, int]:
    try:
        filters = RequestFilters.from_query(query.params())
        cursor = parse_cursor(query.cursor)
    except BadRequest as error:
        return error_box("; ".join(error.problems)), 400
    listing = await runtime.read(lambda c: list_requests(c, filters, cursor, REQUESTS_LIMIT))
    return requests_list(listing, query), 200


@pages.get(UI + "/requests")
async def requests_page(runtime: RuntimeDep, status: str = "", cursor: str = "") -> HTMLResponse:
    query = RequestsQuery(status, cursor)
    listing, code = Html(""), 200
    if not _auth_required(runtime):
        listing, code = await _requests(runtime, query)
    body = requests_body(query, listing)
    fragment = requests_fragment_url(query)
    return _shell(runtime, "Requests", "requests", body, fragment, REQUEST_EVENTS, code)


@fragments.get("/requests")
async def requests_fragment(
    runtime: RuntimeDep, part: Part = "list", status: str = "", cursor: str = ""
) -> HTMLResponse:
    query = RequestsQuery(status, cursor)
    listing, code = await _requests(runtime, query)
    if part == "body":
        return html(requests_body(query, listing), code)
    return html(listing, code)


# -- webhooks -------------------------------------------------------------------------------


async def _webhooks(runtime: Runtime, query: WebhooksQuery) -> tuple[Html, int]:
    try:
        filters = AttemptFilters.from_query(query.params())
    except BadRequest as error:
        return error_box("; ".join(error.problems)), 400
    attempts = runtime.webhooks.log.page(filters, None, WEBHOOKS_LIMIT).items
    return webhooks_list(runtime.webhooks.status(), attempts, bool(query.result)), 200


@pages.get(UI + "/webhooks")
async def webhooks_page(runtime: RuntimeDep, result: str = "") -> HTMLResponse:
    query = WebhooksQuery(result)
    listing, code = Html(""), 200
    if not _auth_required(runtime):
        listing, code = await _webhooks(runtime, query)
    body = webhooks_body(query, listing)
    fragment = webhooks_fragment_url(query)
    return _shell(runtime, "Webhooks", "webhooks", body, fragment, WEBHOOK_EVENTS, code)


@fragments.get("/webhooks")
async def webhooks_fragment(
    runtime: RuntimeDep, part: Part = "list", result: str = ""
) -> HTMLResponse:
    query = WebhooksQuery(result)
    listing, code = await _webhooks(runtime, query)
    if part == "body":
        return html(webhooks_body(query, listing), code)
    return html(listing, code)
