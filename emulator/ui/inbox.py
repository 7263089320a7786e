"""The inbox: accepted sends newest first, with filters, rendered as a page or a fragment."""

from dataclasses import dataclass
from typing import Any

from emulator.push.fixtures import FixtureSet
from emulator.storage.paging import Page
from emulator.storage.sends import SEND_KINDS, SEND_STATUSES, notification_of
from emulator.ui.html import Html, escape, join, render
from emulator.ui.layout import FRAGMENTS, UI, empty, option, status_badge, when, with_query

# Sends shown at once; the inbox is a live view of what just happened, not an archive
# (the JSON API pages through everything).
INBOX_LIMIT = 100


@dataclass(frozen=True)
class InboxQuery:
    """The inbox's filters, by their query-parameter names (those of /_emulator/sends)."""

    application_id: str = ""
    status: str = ""
    q: str = ""
    kind: str = ""

    def params(self) -> dict[str, str]:
        return {
            "applicationId": self.application_id,
            "status": self.status,
            "q": self.q,
            "kind": self.kind,
        }


def send_title(content: dict[str, Any]) -> tuple[str, str]:
    """(title, message) as sent: the inline content, or the default language's entry."""
    shown = notification_of(content)
    return str(shown.get("title") or ""), str(shown.get("message") or "")


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


def send_row(send: dict[str, Any], fixtures: FixtureSet) -> Html:
    title, message = send_title(send["content"])
    return render(
        """<tr class="send-row" data-id="{id}" data-status="{status}">
<td class="time">{time}</td>
<td>{badge} {kind}</td>
<td class="audience">{audience}</td>
<td class="apps">{apps}</td>
<td class="title"><a href="{href}">{title}</a><div class="message">{message}</div></td>
<td class="count">{count}</td>
<td class="warnings">{warnings}</td>
</tr>""",
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


def inbox_list(page: Page, total: int, fixtures: FixtureSet, filtered: bool) -> Html:
    """The part the script replaces on every event: the table and its count line."""
    if not page.items:
        return empty(
            "No send matches these filters."
            if filtered
            else "No sends yet. POST one to /rest/push/sendInstant and it appears here."
        )
    shown = len(page.items)
    count = f"{total} send{'s' if total != 1 else ''}" + (
        f", the newest {shown} shown" if total > shown else ""
    )
    return render(
        """<p class="count-line" id="count-line">{count}</p>
<table class="sends">
<thead><tr><th>Received (UTC)</th><th>Status</th><th>Audience</th><th>Application</th>
<th>Title</th><th>Deliveries</th><th>Warnings</th></tr></thead>
<tbody id="send-rows">{rows}</tbody>
</table>""",
        count=count,
        rows=join(send_row(send, fixtures) for send in page.items),
    )


def inbox_filters(query: InboxQuery, fixtures: FixtureSet) -> Html:
    apps = join(option(a.id.lower(), a.name, query.application_id) for a in fixtures.applications)
    statuses = join(option(s, s, query.status) for s in SEND_STATUSES)
    kinds = join(option(k, k, query.kind) for k in SEND_KINDS)
    return render(
        """<form class="filters" id="filters" method="get" action="{action}">
<label>Application <select name="applicationId"><option value="">All</option>{apps}</select></label>
<label>Status <select name="status"><option value="">All</option>{statuses}</select></label>
<label>Kind <select name="kind"><option value="">All</option>{kinds}</select></label>
<label>Text <input type="search" name="q" value="{q}" placeholder="title or message"></label>
<noscript><button type="submit">Filter</button></noscript>
<span class="spacer"></span>
<button type="button" class="danger" data-action="clear" data-confirm="{clear}">Clear sends</button>
<button type="button" class="danger" data-action="reset" data-confirm="{reset}">Reset</button>
</form>""",
        action=f"{UI}/",
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
