"""Screenshots of the web inbox for the README: `.venv/bin/python -m bench.screenshots`.

Starts a real server with the bundled fixtures, makes a few sends, and saves docs/inbox.png
and docs/send-view.png from Debian's headless Chromium. The fixtures' media URLs point at
shop.example.com, which does not exist; the browser is answered with a drawn placeholder
instead, so the previews show an image as they would on a device.
"""

import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Route, sync_playwright

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
    sale = send(
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
    send(
        url,
        {
            "applicationIds": [ANDROID_APP, IOS_APP, WEB_APP],
            "content": {"templateId": WELCOME_TEMPLATE},
        },
    )
    httpx.get(
        f"{url}/_emulator/sends/wait",
        params={"trackingId": sale["data"]["trackingId"], "timeout": 10},
        timeout=15,
    ).raise_for_status()
    return str(sale["transactionId"])


def placeholder(route: Route) -> None:
    route.fulfill(status=200, content_type="image/svg+xml", body=PLACEHOLDER)


def main() -> int:
    DOCS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, serving(Path(folder)) as url:
        detail = make_sends(url)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 560})
            page.route("https://shop.example.com/**", placeholder)
            page.goto(f"{url}/")
            page.wait_for_selector("#live[data-state=live]")
            page.screenshot(path=str(DOCS / "inbox.png"))
            page.set_viewport_size({"width": 1280, "height": 1180})
            page.goto(f"{url}/_emulator/ui/sends/{detail}")
            page.wait_for_selector("#live[data-state=live]")
            page.wait_for_function("Array.from(document.images).every((i) => i.complete)")
            page.screenshot(path=str(DOCS / "send-view.png"))
            browser.close()
    print(f"wrote {DOCS / 'inbox.png'} and {DOCS / 'send-view.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
