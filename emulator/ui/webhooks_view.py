"""The webhooks view: the webhooks in force with their counts, and every attempt, newest first."""

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
from emulator.webhooks.log import RESULTS

WEBHOOKS_LIMIT = 200
_RESULT_LABELS = {"delivered": "delivered", "failed": "failed, retried", "gave_up": "gave up"}
_RESULT_CSS = {
    "delivered": "status-delivered",
    "failed": "status-sending",
    "gave_up": "status-failed",
}


@dataclass(frozen=True)
class WebhooksQuery:
    result: str = ""

    def params(self) -> dict[str, str]:
        return {"result": self.result}


def _webhook_row(status: dict[str, Any]) -> Html:
    rule = status["webhook"]
    return render(
        """<tr class="webhook-row">
<td class="num">{index}</td>
<td class="path"><code>{url}</code></td>
<td>{events}</td>
<td class="num">{delay}</td>
<td class="num">{delivered}</td>
<td class="num">{failed}</td>
<td class="num">{gave_up}</td>
<td class="num">{dropped}</td>
<td class="num">{queued}</td>
</tr>""",
        index=status["index"],
        url=rule["url"],
        events=", ".join(rule["events"]),
        delay=f"{rule['delayMs']} ms",
        delivered=status["delivered"],
        failed=status["failed"],
        gave_up=status["gaveUp"],
        dropped=status["dropped"],
        queued=status["queued"],
    )


def webhooks_table(statuses: list[dict[str, Any]]) -> Html:
    if not statuses:
        return empty(
            "No webhooks are set: PUT /_emulator/webhooks, or start with EMULATOR_WEBHOOKS."
        )
    return render(
        """<table class="webhooks">
<thead><tr><th>#</th><th>URL</th><th>Events</th><th>Delay</th><th>Delivered</th>
<th>Failed</th><th>Gave up</th><th>Dropped</th><th>Waiting</th></tr></thead>
<tbody>{rows}</tbody>
</table>""",
        rows=join(_webhook_row(status) for status in statuses),
    )


def attempt_row(attempt: dict[str, Any]) -> Html:
    status = attempt.get("status")
    return render(
        """<tr class="attempt-row" data-id="{id}" data-result="{result}">
<td class="time">{time}</td>
<td class="num">{webhook}</td>
<td><code>{kind}</code> <small>#{event_id}</small></td>
<td class="num">{attempt}</td>
<td><span class="badge status {result_css}">{result_label}</span></td>
<td>{status}</td>
<td class="num">{latency} ms</td>
<td class="error">{error}</td>
</tr>""",
        id=attempt["id"],
        result=attempt["result"],
        time=when(attempt["at"]),
        webhook=attempt["webhook"],
        kind=attempt["eventKind"],
        event_id=attempt["eventId"],
        attempt=attempt["attempt"],
        result_css=_RESULT_CSS.get(attempt["result"], ""),
        result_label=_RESULT_LABELS.get(attempt["result"], attempt["result"]),
        status=render(
            '<span class="badge http {css}">{status}</span>',
            css=http_status_class(int(status)),
            status=status,
        )
        if status is not None
        else Html('<span class="muted">no answer</span>'),
        latency=f"{float(attempt.get('latencyMs') or 0):.1f}",
        error=attempt.get("error") or "",
    )


def webhooks_list(
    statuses: list[dict[str, Any]], attempts: list[dict[str, Any]], filtered: bool
) -> Html:
    if attempts:
        log = render(
            """<table class="attempts">
<thead><tr><th>Started (UTC)</th><th>Webhook</th><th>Event</th><th>Try</th><th>Result</th>
<th>Status</th><th>Latency</th><th>Error</th></tr></thead>
<tbody id="attempt-rows">{rows}</tbody>
</table>""",
            rows=join(attempt_row(attempt) for attempt in attempts),
        )
    else:
        log = empty("No attempt matches this filter." if filtered else "No webhook attempt yet.")
    return render(
        "{webhooks}\n<h2>Deliveries</h2>\n{log}", webhooks=webhooks_table(statuses), log=log
    )


def webhooks_body(query: WebhooksQuery, listing: Html) -> Html:
    choices = join(option(value, _RESULT_LABELS[value], query.result) for value in RESULTS)
    return filtered_list("Webhooks", f"{UI}/webhooks", "Result", "result", choices, listing)


def webhooks_fragment_url(query: WebhooksQuery) -> str:
    return with_query(f"{FRAGMENTS}/webhooks", **query.params())
