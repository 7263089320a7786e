"""What the browser tests share: sending to the real server, and opening a page live."""

import re
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.support.demo import ANDROID_APP, DEMO


def post_send(base_url: str, **body: Any) -> dict[str, Any]:
    """A SendInstantPush to the Android app unless the body names others; its answer."""
    payload = {"applicationIds": [ANDROID_APP], **body}
    response = httpx.post(f"{base_url}/rest/push/sendInstant", json=payload, headers=DEMO)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def open_live(page: Page, url: str) -> None:
    """Open a page and wait until it hears /_emulator/events (from then on nothing is missed)
    and has re-read its data once (the swap a measurement must not race)."""
    page.goto(url)
    expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=5000)
    expect(page.locator("body")).to_have_attribute("data-loaded", re.compile(r"\d"))
