"""The requests view: the /rest journal, refused requests included, newest first."""

from dataclasses import dataclass
from typing import Any

from emulator.ui.html import Html, join, render
from emulator.ui.layout import (
    FRAGMENTS,
    UI,
    empty,
    filtered_list,
    http_status_class,
    option,
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

    def params(self) -> dict[str, str]:
        return {"status": self.status}


def _headers(headers: dict[str, str]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers.items())


def request_row(entry: dict[str, Any]) -> Html:
    path = entry["path"] + (f"?{entry['query']}" if entry.get("query") else "")
    tracking = entry.get("trackingId")
    return render(
        """<tr class="request-row {css}" data-id="{id}" data-status="{status}">
<td class="time">{time}</td>
<td><span class="badge http {css}">{status}</span></td>
<td class="method">{method}</td>
<td class="path"><code>{path}</code></td>
<td>{api_user}</td>
<td class="num">{latency} ms</td>
<td class="error">{error}{fault}</td>
<td>{tracking}</td>
<td><details><summary>body</summary><pre>{headers}

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
            '<a href="{href}"><code>{short}</code></a>',
            href=f"{UI}/sends/{tracking}",
            short=str(tracking)[:8],
        )
        if tracking and int(entry["status"]) < 300 and entry["method"] == "POST"
        else render("<code>{t}</code>", t=str(tracking or "")[:8]),
        headers=_headers(entry.get("headers") or {}),
        body=entry.get("body") or "",
        truncated="\n… (truncated)" if entry.get("bodyTruncated") else "",
    )


def requests_list(items: list[dict[str, Any]], filtered: bool) -> Html:
    if not items:
        return empty("No request matches this filter." if filtered else "No request to /rest yet.")
    return render(
        """<table class="requests">
<thead><tr><th>Received (UTC)</th><th>Status</th><th>Method</th><th>Path</th><th>API user</th>
<th>Latency</th><th>Error</th><th>Tracking id</th><th></th></tr></thead>
<tbody id="request-rows">{rows}</tbody>
</table>""",
        rows=join(request_row(entry) for entry in items),
    )


def requests_body(query: RequestsQuery, listing: Html) -> Html:
    choices = join(option(value, label, query.status) for value, label in STATUS_CHOICES)
    return filtered_list("Requests", f"{UI}/requests", "Status", "status", choices, listing)


def requests_fragment_url(query: RequestsQuery) -> str:
    return with_query(f"{FRAGMENTS}/requests", **query.params())
