"""One device's inbox, newest first, as its notification shade shows it; and one contact's."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.push.fixtures import Device, FixtureSet
from emulator.storage.paging import Page
from emulator.ui.html import Html, join, render
from emulator.ui.inbox import send_url
from emulator.ui.layout import UI, empty, short_id, status_badge, when, with_query
from emulator.ui.preview import PLATFORM_NAMES, contact_url, device_url, language_fact, notification

FEED_LIMIT = 50


@dataclass(frozen=True)
class Feed:
    page: Page  # the sends that reached the device (the sends API's `token` filter)
    deliveries: dict[int, list[dict[str, Any]]]  # by send id: its deliveries to this token


def _device_facts(token: str, fixtures: FixtureSet) -> Html:
    known = [d for d in fixtures.devices if d.token == token]
    if not known:
        return render(
            '<p class="note">No device with this token is in the fixtures; these are the '
            "sends recorded for it.</p>"
        )
    return join(_device_summary(device, fixtures) for device in known)


def _device_summary(device: Device, fixtures: FixtureSet) -> Html:
    app = fixtures.applications_by_id.get(device.applicationId.lower())
    facts = [
        ("Application", app.name if app else device.applicationId),
        ("Platform", PLATFORM_NAMES.get(app.platform, app.platform) if app else None),
        (
            "Contact",
            render('<a href="{h}">{k}</a>', h=contact_url(device.contactKey), k=device.contactKey)
            if device.contactKey
            else "(anonymous device)",
        ),
        ("Language", device.language),
        ("Device", device.deviceType),
        ("Browser", device.browser),
        ("Status", device.status),
    ]
    return render(
        '<dl class="summary">{facts}</dl>',
        facts=join(
            render("<dt>{l}</dt><dd>{v}</dd>", l=label, v=value) for label, value in facts if value
        ),
    )


def feed_item(
    send: dict[str, Any], delivery: dict[str, Any], fixtures: FixtureSet, now: datetime
) -> Html:
    return render(
        """<article class="feed-item" data-id="{id}" data-href="{href}">
<header>{time} {status} <a href="{href}">the send</a> <span class="muted">{language}</span></header>
{preview}
</article>""",
        id=send["id"],
        href=send_url(send) + f"#delivery-{delivery['id']}",
        time=when(delivery.get("createdAt")),
        status=status_badge(delivery.get("status") or ""),
        language=language_fact(delivery),
        preview=notification(delivery, fixtures, now),
    )


def device_feed(token: str, feed: Feed, fixtures: FixtureSet, now: datetime, cursor: str) -> Html:
    items = [
        feed_item(send, delivery, fixtures, now)
        for send in feed.page.items
        for delivery in feed.deliveries.get(send["id"], [])
    ]
    if not items:
        return empty("Nothing has reached this device yet.")
    base = device_url(token)
    pager = []
    if cursor:
        pager.append(render('<a href="{h}" class="pager-newest">« Newest</a>', h=base))
    if feed.page.next_cursor:
        pager.append(
            render(
                '<a href="{h}" class="pager-older" rel="next">Older »</a>',
                h=with_query(base, cursor=feed.page.next_cursor),
            )
        )
    return render(
        '<div class="feed">{items}</div>{pager}',
        items=join(items),
        pager=render('<nav class="pager">{p}</nav>', p=join(pager)) if pager else Html(""),
    )


def device_body(token: str, fixtures: FixtureSet, listing: Html) -> Html:
    return render(
        """<p class="back"><a href="{inbox}">← Inbox</a></p>
<h1>Device {token}</h1>
{facts}
<div id="list">{listing}</div>""",
        inbox=f"{UI}/",
        token=short_id(token, 24),
        facts=_device_facts(token, fixtures),
        listing=listing,
    )


def contact_body(contact_key: str, fixtures: FixtureSet, listing: Html) -> Html:
    devices = fixtures.devices_by_contact.get(contact_key, [])
    links = join(
        (
            render(
                '<a href="{h}">{t}</a> <span class="muted">({d})</span>',
                h=device_url(device.token),
                t=short_id(device.token, 24),
                d=device.deviceType or device.applicationId,
            )
            for device in devices
        ),
        ", ",
    )
    return render(
        """<p class="back"><a href="{inbox}">← Inbox</a></p>
<h1>Contact {key}</h1>
<dl class="summary"><dt>Devices</dt><dd>{devices}</dd></dl>
<h2>Every send that reached them</h2>
<div id="list">{listing}</div>""",
        inbox=f"{UI}/",
        key=contact_key,
        devices=links or Html('<span class="muted">none in the fixtures</span>'),
        listing=listing,
    )
