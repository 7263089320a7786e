"""A delivery as its device would show it: Android, iOS and web notification previews."""

from typing import Any
from urllib.parse import urlsplit

from emulator.fanout.outcomes import OUTCOMES
from emulator.push.fixtures import FixtureSet
from emulator.ui.html import Html, image, link, render, web_url
from emulator.ui.layout import when

PLATFORM_NAMES = {"android": "Android", "ios": "iOS", "web": "Web"}


def _app_name(delivery: dict[str, Any], fixtures: FixtureSet) -> str:
    app = fixtures.applications_by_id.get(str(delivery["applicationId"]).lower())
    return app.name if app else str(delivery["applicationId"])


def _initial(name: str) -> str:
    return (name.strip()[:1] or "?").upper()


def _media_note(delivery: dict[str, Any]) -> Html:
    """Say why a mediaUrl is not shown, rather than leave the reader to wonder."""
    media = delivery.get("mediaUrl")
    if media and web_url(media) is None:
        return render(
            '<p class="note">mediaUrl not shown (not an http(s) URL): <code>{media}</code></p>',
            media=media,
        )
    return Html("")


def _site(delivery: dict[str, Any], fallback: str) -> str:
    """What a browser names as the sender: the host of the page the push leads to."""
    url = web_url(delivery.get("targetUrl"))
    host = urlsplit(url).hostname if url else None
    return host or fallback


def notification(delivery: dict[str, Any], fixtures: FixtureSet) -> Html:
    platform = str(delivery.get("platform") or "").lower()
    app = _app_name(delivery, fixtures)
    extra = delivery.get("extra") or {}
    subtitle = extra.get("subTitle") if isinstance(extra, dict) else None
    values: dict[str, object] = {
        "app": app,
        "initial": _initial(app),
        "title": delivery.get("title") or "",
        "message": delivery.get("message") or "",
        "subtitle": render('<div class="n-subtitle">{s}</div>', s=subtitle)
        if isinstance(subtitle, str) and subtitle
        else Html(""),
    }
    if platform == "ios":
        return render(
            """<div class="device ios"><div class="n">
<div class="n-head"><span class="n-icon">{initial}</span><span class="n-app">{app}</span>
<span class="n-when">now</span></div>
<div class="n-body"><div class="n-text"><div class="n-title">{title}</div>{subtitle}
<div class="n-message">{message}</div></div>{media}</div>
</div></div>""",
            media=image(delivery.get("mediaUrl"), "media", "n-thumb"),
            **values,
        )
    if platform == "web":
        browser = str(delivery.get("browser") or "Browser")
        return render(
            """<div class="device web"><div class="n">
<div class="n-head"><span class="n-icon">{initial}</span><span class="n-app">{browser}</span>
<span class="n-when">{site}</span></div>
<div class="n-body"><div class="n-text"><div class="n-title">{title}</div>
<div class="n-message">{message}</div></div></div>{media}
</div></div>""",
            browser=browser,
            site=_site(delivery, app),
            media=image(delivery.get("mediaUrl"), "media", "n-image"),
            **values,
        )
    # Android, and the fallback for a platform we do not know: the most common shape.
    return render(
        """<div class="device android"><div class="n">
<div class="n-head"><span class="n-icon">{initial}</span><span class="n-app">{app}</span>
<span class="n-when">· now</span></div>
<div class="n-body"><div class="n-text"><div class="n-title">{title}</div>{subtitle}
<div class="n-message">{message}</div></div></div>{media}
</div></div>""",
        media=image(delivery.get("mediaUrl"), "media", "n-image"),
        **values,
    )


def _fact(label: str, value: object) -> Html:
    if value is None or value == "":
        return Html("")
    return render("<dt>{label}</dt><dd>{value}</dd>", label=label, value=value)


def _fate(delivery: dict[str, Any]) -> Html:
    """Why the device shows nothing (the platform's own answer), or when it will."""
    status = delivery.get("status")
    if status == "Failed":
        outcome = OUTCOMES.get(str(delivery.get("outcome")))
        kind = "bounced" if outcome is not None and outcome.permanent else "failed"
        return render(
            '<p class="fate failure">Not delivered ({kind}): <strong>{reason}</strong> '
            '<span class="muted">{outcome}</span></p>',
            kind=kind,
            reason=delivery.get("reason") or "no reason given",
            outcome=delivery.get("outcome") or "",
        )
    if status == "Sent":
        return render(
            '<p class="fate pending">On its way: final {at}</p>',
            at=when(delivery["finalAt"]) if delivery.get("finalAt") else "later",
        )
    return Html("")


def delivery_card(delivery: dict[str, Any], fixtures: FixtureSet) -> Html:
    platform = str(delivery.get("platform") or "").lower()
    target = delivery.get("targetUrl")
    state = {"Failed": " failed", "Sent": " pending"}.get(str(delivery.get("status")), "")
    return render(
        """<article class="delivery{state}" data-delivery="{id}" data-platform="{platform}">
<header><span class="platform">{platform_name}</span>{status}</header>
{fate}{preview}{media_note}
<dl class="facts">{facts}</dl>
<div class="actions">
<button type="button" data-action="open" data-delivery="{id}">Open</button>
<button type="button" data-action="click" data-delivery="{id}">Click</button>
</div>
</article>""",
        state=state,
        fate=_fate(delivery),
        id=delivery["id"],
        platform=platform,
        platform_name=PLATFORM_NAMES.get(platform, platform or "?"),
        status=render(
            '<span class="badge status status-{css}" title="{reason}">{text}</span>',
            css=str(delivery.get("status") or "").lower(),
            reason=delivery.get("reason") or "",
            text=delivery.get("status") or "",
        ),
        preview=notification(delivery, fixtures),
        media_note=_media_note(delivery),
        facts=Html(
            "".join(
                [
                    _fact("Language", delivery.get("language") or "—"),
                    _fact("Contact", delivery.get("contactKey") or "(anonymous device)"),
                    _fact("Token", delivery.get("token")),
                    _fact("Device", delivery.get("deviceType")),
                    _fact("Outcome", delivery.get("outcome")),
                    _fact("Reason", delivery.get("reason")),
                    _fact("Opens", link(target) if target else None),
                    _fact(
                        "Opened",
                        when(delivery.get("openedAt")) if delivery.get("openedAt") else None,
                    ),
                    _fact(
                        "Clicked",
                        when(delivery.get("clickedAt")) if delivery.get("clickedAt") else None,
                    ),
                ]
            )
        ),
    )
