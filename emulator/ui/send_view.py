"""One send: what came in, what went back, its warnings, and every device's notification."""

import json
from collections import Counter
from datetime import datetime
from typing import Any

from emulator import CONTROL_PREFIX, REST_PREFIX
from emulator.push.fixtures import FixtureSet
from emulator.ui.curl import curl_command
from emulator.ui.html import Html, join, render
from emulator.ui.inbox import applications, audience, kind_badge, send_title
from emulator.ui.layout import FRAGMENTS, UI, empty, short_id, status_badge, when, with_query
from emulator.ui.platforms import cuts
from emulator.ui.preview import delivery_card

# Previews rendered at once; a send to a large table is summarised rather than drawn whole.
MAX_PREVIEWS = 200


def pretty_json(value: Any) -> str:
    if isinstance(value, str):
        return value  # a body that was not JSON is shown as the text it was
    return json.dumps(value, indent=2, ensure_ascii=False)


def _fact(label: str, value: object) -> Html:
    if value is None or value == "" or value == []:
        return Html("")
    return render("<dt>{label}</dt><dd>{value}</dd>", label=label, value=value)


def _templates(send: dict[str, Any], fixtures: FixtureSet) -> str:
    names = []
    saved = (
        fixtures.contents_by_id
        if send.get("kind") == "transactional"
        else (fixtures.templates_by_id)
    )
    for template_id in send.get("templateIds") or []:
        template = saved.get(str(template_id).lower())
        names.append(template.name if template else str(template_id))
    return ", ".join(names)


def _outcome_counts(deliveries: list[dict[str, Any]]) -> str:
    """ "5 delivered, 1 unregistered, 2 on their way": what the deliveries came to so far."""
    counts = Counter(str(d.get("outcome") or "on their way") for d in deliveries)
    return ", ".join(f"{n} {name}" for name, n in sorted(counts.items(), key=lambda i: -i[1]))


def _code_block(block_id: str, heading: str, text: str, buttons: Html) -> Html:
    return render(
        """<section class="code">
<header><h2>{heading}</h2>{buttons}</header>
<pre id="{block_id}">{text}</pre>
</section>""",
        block_id=block_id,
        heading=heading,
        text=text,
        buttons=buttons,
    )


def _copy_button(target: str, label: str) -> Html:
    return render(
        '<button type="button" data-action="copy" data-target="{target}">{label}</button>',
        target=target,
        label=label,
    )


def _cut_notes(deliveries: list[dict[str, Any]]) -> Html:
    """Where a title or message is longer than a targeted platform shows collapsed."""
    found = cuts(deliveries)
    if not found:
        return Html("")
    return render(
        '<section class="cut-notes"><h2>Cut short on some screens</h2><ul>{items}</ul>'
        '<p class="note">Collapsed, as each platform shows it; the previews below are clamped '
        "the same way (see docs/PLATFORMS.md).</p></section>",
        items=join(render("<li>{c}</li>", c=str(cut)) for cut in found),
    )


def _dispatch_button(send: dict[str, Any]) -> Html:
    if send["status"] != "Scheduled":
        return Html("")
    return render(
        '<button type="button" data-action="dispatch" data-key="{key}" '
        'title="Fan it out now, as if its time had come">Dispatch now</button>',
        key=send["transactionId"],
    )


def send_detail_body(
    send: dict[str, Any], fixtures: FixtureSet, base_url: str, now: datetime
) -> Html:
    title, _message = send_title(send["content"])
    deliveries: list[dict[str, Any]] = send.get("deliveries") or []
    shown = deliveries[:MAX_PREVIEWS]
    if not deliveries:
        waiting = send["status"] in {"Queued", "Scheduled", "Sending"}
        cards = empty(
            "Not fanned out yet: deliveries appear here when the send is dispatched."
            if waiting
            else "No device received this send (see the warnings)."
        )
    else:
        cards = render(
            '<div class="deliveries">{cards}</div>{more}',
            cards=join(delivery_card(d, fixtures, now) for d in shown),
            more=render(
                '<p class="note">The first {n} of {total} deliveries are shown; '
                '<a href="{href}">all of them as JSON</a>.</p>',
                n=len(shown),
                total=len(deliveries),
                href=f"{CONTROL_PREFIX}/sends/{send['transactionId']}",
            )
            if len(deliveries) > len(shown)
            else Html(""),
        )
    warnings = (
        render(
            '<section class="warnings"><h2>Warnings</h2><ul>{items}</ul></section>',
            items=join(render("<li>{w}</li>", w=w) for w in send["warnings"]),
        )
        if send["warnings"]
        else Html("")
    )
    others = (
        render(
            '<p class="note">Other sends with this tracking id: {links}</p>',
            links=join(
                (
                    render(
                        '<a href="{href}">{when}</a>',
                        href=f"{UI}/sends/{o['transactionId']}",
                        when=o["receivedAt"],
                    )
                    for o in send["others"]
                ),
                ", ",
            ),
        )
        if send.get("others")
        else Html("")
    )
    request_text = pretty_json(send["request"])
    transactional = send.get("kind") == "transactional"
    path = (
        f"{REST_PREFIX}/transactional/push" if transactional else f"{REST_PREFIX}/push/sendInstant"
    )
    curl = curl_command(base_url, _raw_body(send), send["apiUser"], fixtures, path)
    current = (
        render(
            '<div class="current-values"><h3>Rendered with $Current</h3>'
            "<pre><code>{values}</code></pre></div>",
            values=pretty_json(send.get("current") or {}),
        )
        if transactional
        else Html("")
    )
    return render(
        """<p class="back"><a href="{inbox}">← Inbox</a></p>
<h1 class="send-title" data-id="{id}" data-key="{key}" data-status="{status}">
{title} {badge} {kind} {dispatch}</h1>
<dl class="summary">{facts}</dl>
{others}{warnings}{cut}
<section><h2>Deliveries <span class="muted">({count})</span></h2>{current}{cards}</section>
{request}
<details class="curl"><summary>As curl</summary><pre id="curl">{curl}</pre></details>
{response}""",
        inbox=f"{UI}/",
        id=send["id"],
        key=send["transactionId"],
        dispatch=_dispatch_button(send),
        cut=_cut_notes(shown),
        status=send["status"],
        title=title or "(no title)",
        badge=status_badge(send["status"]),
        kind=kind_badge(send.get("kind")),
        current=current,
        facts=Html(
            "".join(
                [
                    _fact("Tracking id", short_id(send["trackingId"], 24)),
                    _fact("Transaction id", short_id(send["transactionId"], 24)),
                    _fact("Received", when(send["receivedAt"])),
                    _fact(
                        "Scheduled for", when(send["scheduleAt"]) if send["scheduleAt"] else None
                    ),
                    _fact("Completed", when(send["completedAt"]) if send["completedAt"] else None),
                    _fact("Audience", audience(send, fixtures)),
                    _fact("Outcomes", _outcome_counts(deliveries)),
                    _fact("Applications", applications(send, fixtures)),
                    _fact("Content" if transactional else "Templates", _templates(send, fixtures)),
                    _fact("Tags", ", ".join(send.get("tags") or [])),
                    _fact("Trace id", send.get("traceId")),
                    _fact("Language", send.get("language")),
                    _fact(
                        "Inbox",
                        pretty_json(send["inboxParams"]) if send.get("inboxParams") else None,
                    ),
                    _fact(
                        "Fallback channel",
                        pretty_json(send["fallbackChannel"])
                        if send.get("fallbackChannel")
                        else None,
                    ),
                    _fact("Engaged devices only", "yes" if send["useOnlyEngagedTokens"] else None),
                    _fact("API user", send["apiUser"]),
                    _fact("Client IP", send["clientIp"]),
                ]
            )
        ),
        others=others,
        warnings=warnings,
        count=send["deliveryCount"] or len(deliveries),
        cards=cards,
        request=_code_block(
            "request-json",
            "Request",
            request_text,
            join([_copy_button("request-json", "Copy"), _copy_button("curl", "Copy as curl")]),
        ),
        curl=curl,
        response=_code_block(
            "response-json",
            "Response",
            pretty_json(send["response"]),
            _copy_button("response-json", "Copy"),
        ),
    )


def _raw_body(send: dict[str, Any]) -> str:
    """The body as received: the stored text re-serialised only if it was parsed."""
    body = send["request"]
    if isinstance(body, str):
        return body
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def send_fragment_url(key: str) -> str:
    return with_query(f"{FRAGMENTS}/sends/{key}")
