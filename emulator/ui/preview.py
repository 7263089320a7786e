"""A delivery as its device would show it: one preview per way the platform can show it."""

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

from emulator.fanout.outcomes import OUTCOMES
from emulator.push.fixtures import FixtureSet
from emulator.ui.html import Html, image, join, link, render, web_url
from emulator.ui.layout import UI, short_id, when
from emulator.ui.platforms import ANDROID, IOS, Profile, profiles_for

PLATFORM_NAMES = {"android": "Android", "ios": "iOS", "web": "Web"}
# What a browser calls itself in a notification's header.
BROWSER_NAMES = {"chrome": "Google Chrome", "edge": "Microsoft Edge"}


def device_url(token: str) -> str:
    return f"{UI}/devices/{quote(token, safe='')}"


def contact_url(contact_key: str) -> str:
    return f"{UI}/contacts/{quote(contact_key, safe='')}"


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


def _site(delivery: dict[str, Any]) -> str:
    """What a browser names as the sender: the host of the page the push leads to."""
    url = web_url(delivery.get("targetUrl"))
    host = urlsplit(url).hostname if url else None
    return host or ""


def relative_time(value: str | None, now: datetime) -> str:
    """As a notification shade says it: now, 5m, 3h, 2d."""
    if not value:
        return "now"
    try:
        then = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "now"
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"


def _preview(
    delivery: dict[str, Any], fixtures: FixtureSet, profile: Profile, now: datetime
) -> Html:
    """One notification as `profile` draws it; the clamps and which image shows come from
    the generated platform stylesheet (ui/platforms.py), so the text is always whole here."""
    web = str(delivery.get("platform") or "").lower() == "web"
    browser = str(delivery.get("browser") or "Browser")
    # A web push names its browser as the app, and the site it came from.
    app = BROWSER_NAMES.get(browser.lower(), browser) if web else _app_name(delivery, fixtures)
    extra = delivery.get("extra") or {}
    subtitle = extra.get("subTitle") if isinstance(extra, dict) else None
    media = delivery.get("mediaUrl")
    expand = (
        render(
            '<button type="button" class="n-expand" data-action="expand" '
            'aria-expanded="false" title="{how}">Expand</button>',
            how="long-press on iOS" if profile is IOS else "the arrow on the notification",
        )
        if profile.expandable
        else Html("")
    )
    return render(
        """<div class="n p-{key}" data-profile="{key}">
<div class="n-head"><span class="n-icon">{initial}</span><span class="n-app">{app}</span>{site}
<span class="n-when">{when}</span>{expand}</div>
<div class="n-body"><div class="n-text"><div class="n-title">{title}</div>{subtitle}
<div class="n-message">{message}</div></div>{thumb}</div>{picture}
</div>""",
        key=profile.key,
        initial=_initial(app),
        app=app,
        site=render('<span class="n-site">{s}</span>', s=_site(delivery))
        if web and _site(delivery)
        else Html(""),
        when=relative_time(delivery.get("createdAt"), now),
        expand=expand,
        title=delivery.get("title") or "",
        subtitle=render('<div class="n-subtitle">{s}</div>', s=subtitle)
        if isinstance(subtitle, str) and subtitle
        else Html(""),
        message=delivery.get("message") or "",
        thumb=image(media, "media", "n-thumb"),
        picture=image(media, "media", "n-image"),
    )


def notification(delivery: dict[str, Any], fixtures: FixtureSet, now: datetime) -> Html:
    """The device frame with one preview per way it may be shown; a desktop Chromium
    browser names no operating system, so its previews come with a chooser."""
    profiles = profiles_for(delivery)
    platform = str(delivery.get("platform") or "").lower()
    frame = "ios" if profiles == (IOS,) else "android" if profiles == (ANDROID,) else "web"
    if len(profiles) == 1:
        return render(
            '<div class="device {frame}">{preview}</div>',
            frame=frame,
            preview=_preview(delivery, fixtures, profiles[0], now),
        )
    chooser = join(
        render(
            '<button type="button" data-action="os" data-os="{key}" class="{css}">{label}</button>',
            key=p.key,
            label=p.name.rsplit(" ", 1)[-1],
            css="current" if index == 0 else "",
        )
        for index, p in enumerate(profiles)
    )
    previews = join(
        render(
            '<div class="os-variant{hidden}" data-os="{key}">{preview}</div>',
            key=p.key,
            hidden="" if index == 0 else " hidden",
            preview=_preview(delivery, fixtures, p, now),
        )
        for index, p in enumerate(profiles)
    )
    return render(
        '<div class="device {frame}" data-platform="{platform}"><div class="os-chooser" '
        'role="group" aria-label="Operating system">{chooser}</div>{previews}</div>',
        frame=frame,
        platform=platform,
        chooser=chooser,
        previews=previews,
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


def language_fact(delivery: dict[str, Any]) -> str:
    """The device's language, and the content's entry it got where that differs."""
    device = delivery.get("deviceLanguage")
    got = delivery.get("language")
    if got and device and str(got).lower() != str(device).lower():
        return f"{device} (got the {got} entry)"
    return str(device or got or "—")


def delivery_card(delivery: dict[str, Any], fixtures: FixtureSet, now: datetime) -> Html:
    platform = str(delivery.get("platform") or "").lower()
    target = delivery.get("targetUrl")
    state = {"Failed": " failed", "Sent": " pending"}.get(str(delivery.get("status")), "")
    contact = delivery.get("contactKey")
    token = str(delivery.get("token") or "")
    return render(
        """<article class="delivery{state}" id="delivery-{id}" data-delivery="{id}"
 data-platform="{platform}">
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
        preview=notification(delivery, fixtures, now),
        media_note=_media_note(delivery),
        facts=Html(
            "".join(
                [
                    _fact("Language", language_fact(delivery)),
                    _fact(
                        "Contact",
                        render('<a href="{href}">{key}</a>', href=contact_url(contact), key=contact)
                        if contact
                        else "(anonymous device)",
                    ),
                    _fact(
                        "Token",
                        render(
                            '<a href="{href}" title="this device\'s inbox">{id}</a>',
                            href=device_url(token),
                            id=short_id(token, 24),
                        )
                        if token
                        else None,
                    ),
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
