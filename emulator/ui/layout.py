"""The page shell shared by every view, its security headers, and small display helpers."""

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from emulator import CONTROL_PREFIX, __version__
from emulator.ui.html import Html, escape, join, render

UI = f"{CONTROL_PREFIX}/ui"
STATIC = f"{UI}/static"
FRAGMENTS = f"{UI}/fragments"

# Captured data is untrusted, so the pages run no inline script or style at all and load
# nothing from elsewhere, with one exception: a delivery's mediaUrl is what the device would
# show, so previews load http(s) images from wherever they live (img-src http: https:).
# An image can run nothing, and each <img> carries referrerpolicy=no-referrer; `data:` is
# not needed (icons are drawn in CSS) and so not allowed.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' http: https:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}

NAV = (
    ("inbox", "Inbox", f"{UI}/"),
    ("requests", "Requests", f"{UI}/requests"),
    ("webhooks", "Webhooks", f"{UI}/webhooks"),
)
# The per-platform clamps, generated from ui/platforms.py (routes/ui.py serves it).
PLATFORM_CSS = f"{UI}/platforms.css"

KEYS_HELP = "Keys: j / k move, Enter opens, / searches, Esc goes back"


def page(
    title: str,
    *,
    current: str,
    body: Html,
    fragment: str,
    events: str,
    auth_required: bool,
) -> Html:
    """A whole page. `fragment` is the URL the script re-reads when an event in `events`
    arrives; with an admin token set the body is empty and the script fetches it with the
    token (a browser cannot send a Bearer header when navigating)."""
    nav = join(
        render(
            '<a href="{href}" class="{css}">{label}</a>',
            href=href,
            label=label,
            css="current" if key == current else "",
        )
        for key, label, href in NAV
    )
    return render(
        """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · push-emulator</title>
<link rel="icon" href="{static}/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="{static}/ui.css">
<link rel="stylesheet" href="{platform_css}">
<script src="{static}/theme.js"></script>
<script type="module" src="{static}/ui/main.js"></script>
</head>
<body data-page="{current}" data-fragment="{fragment}" data-events="{events}" data-auth="{auth}"
 data-title="{title}">
<header class="top">
<a class="brand" href="{ui}/">push-emulator</a>
<nav>{nav}</nav>
<span id="live" class="live" data-state="offline" title="live updates">offline</span>
<button type="button" class="top-button" id="notify" data-action="notify"
 title="Show a browser notification for each new send">Notify me</button>
<button type="button" class="top-button" id="theme" data-action="theme"
 title="Colour scheme: follows the system until chosen">Theme: auto</button>
<span class="version">v{version}</span>
</header>
<main id="main">
<div id="content" aria-live="polite">{body}</div>
</main>
<footer class="keys">{keys}</footer>
</body>
</html>
""",
        title=title,
        static=STATIC,
        platform_css=PLATFORM_CSS,
        keys=KEYS_HELP,
        ui=UI,
        current=current,
        fragment=fragment,
        events=events,
        auth="required" if auth_required else "none",
        nav=nav,
        body=Html("") if auth_required else body,
        version=__version__,
    )


def with_query(path: str, **params: str | None) -> str:
    """`path` with the non-empty params as a query string."""
    kept = {name: value for name, value in params.items() if value}
    return f"{path}?{urlencode(kept)}" if kept else path


def short_id(value: object, keep: int = 8) -> Html:
    """An id cut to `keep` characters on screen by CSS: the whole value stays in the text, so
    selecting and copying it copies all of it, and hovering shows it."""
    return render(
        '<span class="id id-{keep}" title="{full}">{full}</span>',
        keep="24" if keep > 8 else "8",
        full="" if value is None else str(value),
    )


def when(value: str | None) -> Html:
    """An ISO time as `HH:MM:SS` with its date below and the full value on hover (UTC)."""
    if not value:
        return Html('<span class="muted">—</span>')
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return escape(value)
    return render(
        '<time datetime="{iso}" title="{iso}">{clock}<small>{date}</small></time>',
        iso=value,
        clock=moment.strftime("%H:%M:%S"),
        date=moment.date().isoformat(),
    )


def status_badge(status: object) -> Html:
    text = str(status)
    return render(
        '<span class="badge status status-{css}">{text}</span>', css=text.lower(), text=text
    )


def http_status_class(status: int) -> str:
    if status == 429:
        return "s429"  # its own colour: rate limiting is the refusal people test for most
    return f"s{status // 100}xx"


def empty(message: str) -> Html:
    return render('<p class="empty">{message}</p>', message=message)


def option(value: str, label: str, selected: Any) -> Html:
    return render(
        '<option value="{value}"{selected}>{label}</option>',
        value=value,
        label=label,
        selected=Html(" selected") if value == (selected or "") else Html(""),
    )


def filtered_list(
    title: str, action: str, label: str, name: str, choices: Html, listing: Html
) -> Html:
    """A list view's body: its heading, one select filter, and the list the script re-reads."""
    return render(
        """<h1>{title}</h1>
<form class="filters" id="filters" method="get" action="{action}">
<label>{label} <select name="{name}"><option value="">All</option>{choices}</select></label>
<noscript><button type="submit">Filter</button></noscript>
</form>
<div id="list">{listing}</div>""",
        title=title,
        action=action,
        label=label,
        name=name,
        choices=choices,
        listing=listing,
    )
