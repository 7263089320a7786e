"""The inbox: accepted sends newest first, with filters, search, pages and unread markers."""

from dataclasses import dataclass
from typing import Any

from emulator.push.fixtures import FixtureSet
from emulator.storage.paging import Page
from emulator.storage.sends import SEND_KINDS, SEND_STATUSES, notification_of
from emulator.ui.html import Html, escape, join, render
from emulator.ui.layout import FRAGMENTS, UI, empty, option, status_badge, when, with_query
from emulator.ui.search import HELP, merge, parse_search

# Sends on one page; older ones are a click away (cursor paging, like the JSON API).
INBOX_LIMIT = 100


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's address: its filters by the sends API's names, the search box `q` (with
    prefixes), and the page (`cursor`). `top` is the live list's own: the newest send the
    reader has seen, so newer ones are counted in a bar rather than pushed into the list."""

    application_id: str = ""
    status: str = ""
    q: str = ""
    kind: str = ""
    cursor: str = ""
    top: str = ""
    contact_key: str = ""  # fixed by the contact view, not a box of the inbox

    def params(self) -> dict[str, str]:
        """What the address bar holds (deep links): every filter and the page."""
        return {
            "applicationId": self.application_id,
            "status": self.status,
            "kind": self.kind,
            "q": self.q,
            "cursor": self.cursor,
        }

    def filtered(self) -> bool:
        return any([self.application_id, self.status, self.kind, self.q])

    def api_filters(self, fixtures: FixtureSet) -> dict[str, str]:
        """The sends API's filters this asks for (the search parsed): 400s name the box."""
        selected = {
            "applicationId": self.application_id,
            "status": self.status,
            "kind": self.kind,
            "contactKey": self.contact_key,
        }
        return merge(selected, parse_search(self.q, fixtures))


def send_title(content: dict[str, Any]) -> tuple[str, str]:
    """(title, message) as sent: the inline content, or the default language's entry."""
    shown = notification_of(content)
    return str(shown.get("title") or ""), str(shown.get("message") or "")


def shown_text(send: dict[str, Any], first: dict[str, Any] | None) -> tuple[str, str]:
    """What a row says: the text the first device was shown (personalised, in its language),
    or the content as sent while nothing has been delivered."""
    if first is not None and (first.get("title") or first.get("message")):
        return str(first.get("title") or ""), str(first.get("message") or "")
    return send_title(send["content"])


def audience(send: dict[str, Any], fixtures: FixtureSet) -> str:
    if send.get("kind") == "transactional":
        given = send.get("request")
        request: dict[str, Any] = given if isinstance(given, dict) else {}
        if send.get("contactKey") and not request.get("token"):
            every = " (every device)" if request.get("sendToAll") else " (one device)"
            return f"Contact {send['contactKey']}{every}"
        return f"Token {request.get('token') or '?'}"
    if send.get("segmentId"):
        segment = fixtures.segments_by_id.get(send["segmentId"])
        return f"Segment {segment.name}" if segment else f"Segment {send['segmentId']}"
    if send.get("tableId"):
        table = fixtures.tables_by_id.get(send["tableId"])
        return f"Table {table.name}" if table else f"Table {send['tableId']}"
    return "Every device"


def applications(send: dict[str, Any], fixtures: FixtureSet) -> str:
    if send.get("allApplications"):
        return "All applications"
    names = []
    for app_id in send.get("applicationIds") or []:
        app = fixtures.applications_by_id.get(str(app_id).lower())
        names.append(app.name if app else str(app_id))
    return ", ".join(names) or "—"


def send_url(send: dict[str, Any]) -> str:
    # The transaction id is unique per send; a tracking id may be reused by the caller.
    return f"{UI}/sends/{send['transactionId']}"


def kind_badge(kind: object) -> Html:
    """Which call made the send: a campaign push (instant) or a transactional one."""
    text = "transactional" if kind == "transactional" else "instant"
    return render('<span class="badge kind kind-{text}">{text}</span>', text=text)


def warnings_badge(warnings: list[str]) -> Html:
    if not warnings:
        return Html("")
    return render(
        '<span class="badge warn" title="{all}">{count} warning{s}</span>',
        all="\n".join(warnings),
        count=len(warnings),
        s="" if len(warnings) == 1 else "s",
    )


def send_row(send: dict[str, Any], fixtures: FixtureSet, first: dict[str, Any] | None) -> Html:
    title, message = shown_text(send, first)
    unread = send.get("readAt") is None
    return render(
        """<tr class="send-row{unread}" data-id="{id}" data-status="{status}" data-href="{href}">
<td class="time" data-label="Received">{dot}{time}</td>
<td class="state" data-label="Status">{badge} {kind}</td>
<td class="audience" data-label="Audience">{audience}</td>
<td class="apps" data-label="Application">{apps}</td>
<td class="title" data-label="Title"><div class="cell"><a href="{href}">{title}</a>
<div class="message">{message}</div></div></td>
<td class="count" data-label="Deliveries">{count}</td>
<td class="warnings" data-label="Warnings">{warnings}</td>
</tr>""",
        unread=" unread" if unread else "",
        dot=Html('<span class="unread-dot" title="unread"></span>') if unread else Html(""),
        id=send["id"],
        status=send["status"],
        time=when(send["receivedAt"]),
        badge=status_badge(send["status"]),
        kind=kind_badge(send.get("kind")),
        audience=audience(send, fixtures),
        apps=applications(send, fixtures),
        href=send_url(send),
        title=title or "(no title)",
        message=message,
        count=send["deliveryCount"],
        warnings=warnings_badge(send["warnings"]),
    )


@dataclass(frozen=True)
class Listing:
    """One page of the inbox and what the live list needs around it."""

    page: Page
    total: int  # matching sends in all
    newer: int  # matching sends stored after `top` (the "new sends" bar)
    unread: int  # unread sends in all (the tab title)
    first: dict[int, dict[str, Any]]  # each send's first delivery, by send id


def _pager(query: InboxQuery, page: Page, base: str) -> Html:
    links = []
    if query.cursor:
        links.append(
            render(
                '<a href="{href}" class="pager-newest">« Newest</a>',
                href=with_query(base, **{**query.params(), "cursor": ""}),
            )
        )
    if page.next_cursor:
        links.append(
            render(
                '<a href="{href}" class="pager-older" rel="next">Older »</a>',
                href=with_query(base, **{**query.params(), "cursor": page.next_cursor}),
            )
        )
    return render('<nav class="pager">{links}</nav>', links=join(links)) if links else Html("")


def inbox_list(listing: Listing, fixtures: FixtureSet, query: InboxQuery, base: str) -> Html:
    """The part the script replaces on every event: the bar, the table, its count and pages."""
    top = listing.page.items[0]["id"] if listing.page.items and not query.top else query.top
    meta = render(
        '<span id="list-state" data-top="{top}" data-unread="{unread}" data-newer="{newer}"'
        " hidden></span>",
        top=top,
        unread=listing.unread,
        newer=listing.newer,
    )
    bar = (
        render(
            '<button type="button" class="new-bar" data-action="show-new">'
            "{n} new send{s} · show</button>",
            n=listing.newer,
            s="" if listing.newer == 1 else "s",
        )
        if listing.newer
        else Html("")
    )
    if not listing.page.items:
        return render(
            "{meta}{bar}{empty}",
            meta=meta,
            bar=bar,
            empty=empty(
                "No send matches these filters."
                if query.filtered() or query.contact_key
                else "No sends yet. POST one to /rest/push/sendInstant and it appears here."
            ),
        )
    shown = len(listing.page.items)
    count = f"{listing.total} send{'s' if listing.total != 1 else ''}" + (
        f", {shown} on this page" if listing.total > shown else ""
    )
    return render(
        """{meta}{bar}<p class="count-line" id="count-line">{count}{unread}</p>
<table class="sends">
<thead><tr><th>Received (UTC)</th><th>Status</th><th>Audience</th><th>Application</th>
<th>Title</th><th>Deliveries</th><th>Warnings</th></tr></thead>
<tbody id="send-rows">{rows}</tbody>
</table>{pager}""",
        meta=meta,
        bar=bar,
        count=count,
        unread=render(" · {n} unread", n=listing.unread) if listing.unread else Html(""),
        rows=join(
            send_row(send, fixtures, listing.first.get(send["id"])) for send in listing.page.items
        ),
        pager=_pager(query, listing.page, base),
    )


def inbox_filters(query: InboxQuery, fixtures: FixtureSet) -> Html:
    apps = join(option(a.id.lower(), a.name, query.application_id) for a in fixtures.applications)
    statuses = join(option(s, s, query.status) for s in SEND_STATUSES)
    kinds = join(option(k, k, query.kind) for k in SEND_KINDS)
    return render(
        """<form class="filters" id="filters" method="get" action="{action}">
<label class="search">Search <input type="search" name="q" value="{q}"
 placeholder="title:sale contact:c-001 after:2026-12-01" title="{help}" autocomplete="off"></label>
<label>Application <select name="applicationId"><option value="">All</option>{apps}</select></label>
<label>Status <select name="status"><option value="">All</option>{statuses}</select></label>
<label>Kind <select name="kind"><option value="">All</option>{kinds}</select></label>
<noscript><button type="submit">Filter</button></noscript>
<span class="spacer"></span>
<button type="button" data-action="read-all">Mark all read</button>
<button type="button" class="danger" data-action="clear" data-confirm="{clear}">Clear sends</button>
<button type="button" class="danger" data-action="reset" data-confirm="{reset}">Reset</button>
</form>
<p class="search-help">{help}</p>""",
        action=f"{UI}/",
        help=HELP,
        clear="Delete every recorded send and its deliveries? The journal stays.",
        reset="Reset the emulator? Sends, deliveries and the journal are deleted; the clock, "
        "ids, tokens, rate limits and fixtures start over.",
        apps=apps,
        statuses=statuses,
        kinds=kinds,
        q=query.q,
    )


def inbox_body(query: InboxQuery, fixtures: FixtureSet, listing: Html) -> Html:
    return render(
        '<h1>Inbox</h1>{filters}<div id="list">{listing}</div>',
        filters=inbox_filters(query, fixtures),
        listing=listing,
    )


def inbox_fragment_url(query: InboxQuery) -> str:
    return with_query(f"{FRAGMENTS}/inbox", **query.params())


def error_box(message: str) -> Html:
    return render('<p class="error-box">{message}</p>', message=escape(message))
