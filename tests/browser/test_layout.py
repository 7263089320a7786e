"""Every page of the inbox at a phone's width and a desktop's: nothing runs off the screen."""

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.browsing import open_live
from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, WEB_APP

pytestmark = pytest.mark.browser

LONG = (
    "Our biggest summer sale ever starts today: up to 70% off on every shoe, bag and jacket, "
    "with free returns"
)
PAGES = ["/", "send", "/_emulator/ui/requests", "/_emulator/ui/devices/web-ada-chrome",
         "/_emulator/ui/contacts/c-001", "/_emulator/docs"]  # fmt: skip

# Elements whose box reaches past the viewport's edges (the page would scroll sideways).
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => {
      const box = e.getBoundingClientRect();
      return box.width > 0 && (box.right > width + 0.5 || box.left < -0.5);
    })
    .map((e) => e.tagName.toLowerCase() + "." + e.className);
}"""


TRACKING = "7d0f5a3e-1c2b-4d5e-8f90-a1b2c3d4e5f6"


def long_send(base_url: str) -> str:
    body: dict[str, Any] = {
        "applicationIds": [ANDROID_APP, IOS_APP, WEB_APP],
        "trackingId": TRACKING,
        "content": {
            "title": LONG,
            "message": LONG + ". " + LONG,
            "mediaUrl": "https://shop.example.com/img/sale.png",
            "targetUrl": "https://shop.example.com/a/very/long/path/that/goes/on/and/on?x=1",
        },
    }
    answer = httpx.post(f"{base_url}/rest/push/sendInstant", json=body, headers=DEMO).json()
    httpx.get(
        f"{base_url}/_emulator/sends/wait", params={"trackingId": TRACKING}, timeout=15
    ).raise_for_status()
    return str(answer["transactionId"])


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_overflows_the_viewport(page: Page, base_url: str, width: int) -> None:
    transaction = long_send(base_url)
    httpx.post(f"{base_url}/rest/push/sendInstant", json={}, headers={"Authorization": "Bearer x"})
    page.set_viewport_size({"width": width, "height": 900})
    for path in PAGES:
        url = base_url + (f"/_emulator/ui/sends/{transaction}" if path == "send" else path)
        if path == "/_emulator/docs":
            page.goto(url)
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("push-emulator")
        else:
            open_live(page, url)
        assert page.evaluate(OVERFLOWING) == [], path
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path


def test_lists_become_stacked_cards_on_a_phone_and_ids_keep_their_whole_value(
    page: Page, base_url: str
) -> None:
    transaction = long_send(base_url)
    page.set_viewport_size({"width": 390, "height": 900})
    open_live(page, base_url + "/")
    row = page.locator("tr.send-row").first
    expect(row).to_be_visible()
    assert page.locator("table.sends thead").is_hidden()
    assert row.evaluate("(r) => getComputedStyle(r).display") == "block"
    open_live(page, f"{base_url}/_emulator/ui/sends/{transaction}")
    shown = page.locator(".summary .id").first
    # Cut on screen, whole in the text (what a copy takes) and on hover.
    assert shown.evaluate("(e) => e.scrollWidth > e.clientWidth")
    assert shown.text_content() == "7d0f5a3e-1c2b-4d5e-8f90-a1b2c3d4e5f6"
    assert shown.get_attribute("title") == "7d0f5a3e-1c2b-4d5e-8f90-a1b2c3d4e5f6"
