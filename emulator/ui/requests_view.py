"""The requests view: the /rest journal, refused requests included, newest first."""

from dataclasses import dataclass
from typing import Any

from emulator.storage.paging import Page
from emulator.ui.html import Html, join, render
from emulator.ui.layout import (
    FRAGMENTS,
    UI,
    empty,
    filtered_list,
    http_status_class,
    option,
    short_id,
    when,
    with_query,
)

REQUESTS_LIMIT = 200

# The choices of the status filter: classes first, then the statuses the API answers with.
STATUS_CHOICES = (
    ("2xx", "2xx accepted"),
    ("4xx", "4xx refused"),
    ("5xx", "5xx failed"),
    ("400", "400"),
    ("401", "401"),
    ("403", "403"),
    ("404", "404"),
    ("413", "413"),
    ("429", "429"),
    ("500", "500"),
    ("503", "503"),
)


@dataclass(frozen=True)
class RequestsQuery:
    status: str = ""
    cursor: str = ""

    def params(self) -> dict[str, str]:
        return {"status": self.status, "cursor": self.cursor}


def _headers(headers: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


def request_row(entry: dict[str, Any]) -> Html:
    path = entry["path"] + (f"?{entry['query']}" if entry.get("query") else "")
    tracking = entry.get("trackingId")
    return render(
        """<tr class="request-row {css}" data-id="{id}" data-status="{status}">
<td class="time" data-label="Received">{time}</td>
<td data-label="Status"><span class="badge http {css}">{status}</span></td>
<td class="method" data-label="Method">{method}</td>
<td class="path" data-label="Path"><code>{path}</code></td>
<td data-label="API user">{api_user}</td>
<td class="num" data-label="Latency">{latency} ms</td>
<td class="error" data-label="Error">{error}{fault}</td>
<td data-label="Tracking id">{tracking}</td>
<td class="body"><details><summary>body</summary><pre>{headers}

{body}{truncated}</pre></details></td>
</tr>""",
        css=http_status_class(int(entry["status"])),
        id=entry["id"],
        status=entry["status"],
        time=when(entry["receivedAt"]),
        method=entry["method"],
        path=path,
        api_user=entry.get("apiUser") or "—",
        latency=f"{float(entry.get('latencyMs') or 0):.1f}",
        error=entry.get("error") or "",
        fault=render(' <span class="badge fault">fault: {f}</span>', f=entry["fault"])
        if entry.get("fault")
        else Html(""),
        tracking=render(
            '<a href="{href}">{short}</a>', href=f"{UI}/sends/{tracking}", short=short_id(tracking)
        )
        if tracking and int(entry["status"]) < 300 and entry["method"] == "POST"
        else short_id(tracking or ""),
        headers=_headers(entry.get("headers") or {}),
        body=entry.get("body") or "",
        truncated="\n… (truncated)" if entry.get("bodyTruncated") else "",
    )


def _pager(query: RequestsQuery, page: Page) -> Html:
    base = f"{UI}/requests"
    links = []
    if query.cursor:
        links.append(
            render(
                '<a href="{h}" class="pager-newest">« Newest</a>',
                h=with_query(base, status=query.status),
            )
        )
    if page.next_cursor:
        links.append(
            render(
                '<a href="{h}" class="pager-older" rel="next">Older »</a>',
                h=with_query(base, status=query.status, cursor=page.next_cursor),
            )
        )
    return render('<nav class="pager">{links}</nav>', links=join(links)) if links else Html("")


def requests_list(page: Page, query: RequestsQuery) -> Html:
    if not page.items:
        return empty(
            "No request matches this filter." if query.status else "No request to /rest yet."
        )
    return render(
        """<table class="requests">
<thead><tr><th>Received (UTC)</th><th>Status</th><th>Method</th><th>Path</th><th>API user</th>
<th>Latency</th><th>Error</th><th>Tracking id</th><th></th></tr></thead>
<tbody id="request-rows">{rows}</tbody>
</table>{pager}""",
        rows=join(request_row(entry) for entry in page.items),
        pager=_pager(query, page),
    )


def requests_body(query: RequestsQuery, listing: Html) -> Html:
    choices = join(option(value, label, query.status) for value, label in STATUS_CHOICES)
    return filtered_list("Requests", f"{UI}/requests", "Status", "status", choices, listing)


def requests_fragment_url(query: RequestsQuery) -> str:
    return with_query(f"{FRAGMENTS}/requests", **query.params())
