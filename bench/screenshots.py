"""Screenshots of the web inbox for the README: `.venv/bin/python -m bench.screenshots`.

Starts a real server with the bundled fixtures, makes a few sends, and saves the inbox and a
send view from Debian's headless Chromium at a desktop's width (1280 px) and a phone's (390
px), each in light and dark mode: docs/inbox.png, docs/inbox-dark.png, docs/inbox-390.png,
docs/inbox-390-dark.png and the same four of docs/send-view*.png. The fixtures' media URLs
point at shop.example.com, which does not exist; the browser is answered with a drawn
placeholder instead, so the previews show an image as they would on a device.
"""

import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, Route, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.support.demo import (
    ANDROID_APP,
    DEMO,
    IOS_APP,
    SALE_TEMPLATE,
    TURKISH_SEGMENT,
    WEB_APP,
    WELCOME_TEMPLATE,
)
from tests.support.server import serving

DOCS = Path(__file__).resolve().parent.parent / "docs"

PLACEHOLDER = b"""<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1">
<stop offset="0" stop-color="#ffb86b"/><stop offset="1" stop-color="#ff5f8f"/>
</linearGradient></defs>
<rect width="600" height="300" fill="url(#g)"/>
<circle cx="470" cy="90" r="60" fill="#fff" opacity=".35"/>
<rect x="60" y="170" width="240" height="70" rx="14" fill="#fff" opacity=".9"/>
<text x="180" y="215" font-family="sans-serif" font-size="30" font-weight="700"
 text-anchor="middle" fill="#e8475f">SHOP NOW</text></svg>"""


def send(url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(f"{url}/rest/push/sendInstant", json=body, headers=DEMO)
    response.raise_for_status()
    answer: dict[str, Any] = response.json()
    return answer


def make_sends(url: str) -> str:
    """A morning's worth of pushes; returns the transaction id of the one to show in detail."""
    send(
        url,
        {
            "applicationIds": [ANDROID_APP],
            "content": {"title": "Hi"},
            "onlyLastEngagedTokens": True,
        },
    )
    send(
        url,
        {
            "applicationIds": [ANDROID_APP, IOS_APP, WEB_APP],
            "segmentId": TURKISH_SEGMENT,
            "content": {"templateId": SALE_TEMPLATE},
        },
    )
    send(
        url,
        {
            "applicationIds": [IOS_APP],
            "content": {"title": "Your order has shipped", "message": "Track it in the app."},
            "scheduleDate": "2099-06-01 09:00",
        },
    )
    httpx.post(f"{url}/rest/push/sendInstant", json={}, headers={"Authorization": "Bearer expired"})
    # The one shown in detail: personalised, with an image, a title longer than most
    # screens show, to the Turkish speakers on every platform.
    flash = send(
        url,
        {
            "applicationIds": [ANDROID_APP, IOS_APP, WEB_APP],
            "segmentId": TURKISH_SEGMENT,
            "content": {
                "title": "{%= $Contact.first_name %}, our biggest summer sale starts today: "
                "up to 70% off",
                "message": "Every shoe, bag and jacket, with free returns all summer long.",
                "mediaUrl": "https://shop.example.com/img/summer.png",
                "targetUrl": "https://shop.example.com/sale",
            },
        },
    )
    welcome = send(
        url,
        {
            "applicationIds": [ANDROID_APP, IOS_APP, WEB_APP],
            "content": {"templateId": WELCOME_TEMPLATE},
        },
    )
    for answer in (flash, welcome):
        httpx.get(
            f"{url}/_emulator/sends/wait",
            params={"trackingId": answer["data"]["trackingId"], "timeout": 10},
            timeout=15,
        ).raise_for_status()
    return str(flash["transactionId"])


def images_loaded(page: Page) -> None:
    """Wait for every image (wait_for_function would evaluate a string: the CSP forbids it)."""
    for _ in range(100):
        if page.evaluate("Array.from(document.images).every((i) => i.complete)"):
            return
        page.wait_for_timeout(50)


def placeholder(route: Route) -> None:
    route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER)


# (name, width, height): the send view is tall, so it gets more of the page.
SHOTS = (
    ("inbox", 1280, 620),
    ("inbox", 390, 1100),
    ("send-view", 1280, 1300),
    ("send-view", 390, 1700),
)


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as folder, serving(Path(folder)) as url:
        detail = make_sends(url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                for name, width, height in SHOTS:
                    context = browser.new_context(
                        viewport={"width": width, "height": height}, color_scheme=scheme
                    )
                    page = context.new_page()
                    page.route("https://shop.example.com/**", placeholder)
                    path = "/" if name == "inbox" else f"/_emulator/ui/sends/{detail}"
                    page.goto(url + path)
                    page.wait_for_selector("#live[data-state=live]")
                    images_loaded(page)
                    suffix = ("-390" if width == 390 else "") + (
                        "-dark" if scheme == "dark" else ""
                    )
                    target = DOCS / f"{name}{suffix}.png"
                    page.screenshot(path=str(target))
                    written.append(target.name)
                    context.close()
            browser.close()
    print("wrote " + ", ".join(f"docs/{name}" for name in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
