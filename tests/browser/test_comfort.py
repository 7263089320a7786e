"""Living with the inbox: unread counts, notifications, the new-sends bar, keys, dark mode,
expanding a preview, dispatching a scheduled send now."""

import re
import time
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog, Locator, Page, expect

from tests.support.browsing import open_live, post_send

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"

# A stand-in for the browser's Notification API that records what the page asked for: a
# headless browser shows nothing, and a test must see the text, the permission request, and
# when it was made. Installed before any page script runs.
FAKE_NOTIFICATIONS = """
window.__asked = 0;
window.__shown = [];
class FakeNotification {
  constructor(title, options) { window.__shown.push({ title, body: options && options.body }); }
  static get permission() { return window.__permission || "default"; }
  static requestPermission() {
    window.__asked += 1;
    window.__permission = "granted";
    return Promise.resolve("granted");
  }
}
window.Notification = FakeNotification;
"""


def shown_notifications(page: Page, count: int) -> list[dict[str, Any]]:
    """What the page showed once it has shown `count` (wait_for_function would need eval,
    which the pages' policy forbids)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        shown: list[dict[str, Any]] = page.evaluate("window.__shown")
        if len(shown) >= count:
            return shown
        page.wait_for_timeout(50)
    raise AssertionError(f"fewer than {count} notifications: {page.evaluate('window.__shown')}")


def height(element: Locator) -> float:
    box = element.bounding_box()
    assert box is not None, "not rendered"
    return box["height"]


def test_unread_sends_are_counted_in_the_tab_title_until_opened(page: Page, base_url: str) -> None:
    answer = post_send(base_url, content={"title": "Unread", "message": "m"})
    open_live(page, base_url + "/")
    expect(page).to_have_title("(1) Inbox · push-emulator")
    post_send(base_url, content={"title": "Another", "message": "m"})
    expect(page).to_have_title("(2) Inbox · push-emulator", timeout=2000)
    expect(page.locator("tr.send-row.unread")).to_have_count(2)
    open_live(page, f"{base_url}/_emulator/ui/sends/{answer['transactionId']}")
    page.go_back()
    expect(page).to_have_title("(1) Inbox · push-emulator", timeout=5000)
    page.get_by_role("button", name="Mark all read").click()
    expect(page).to_have_title("Inbox · push-emulator")
    expect(page.locator("tr.send-row.unread")).to_have_count(0)


def test_notifications_are_asked_for_on_a_click_and_say_the_rendered_text(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.add_init_script(FAKE_NOTIFICATIONS)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    try:
        open_live(page, base_url + "/")
        assert page.evaluate("window.__asked") == 0  # never on load
        post_send(base_url, content={"title": "Before opting in", "message": "m"})
        expect(page.locator("tr.send-row")).to_have_count(1)
        page.get_by_role("button", name="Notify me").click()
        expect(page.get_by_role("button", name="Notifying")).to_be_visible()
        assert page.evaluate("window.__asked") == 1
        post_send(
            base_url,
            content={"title": "Hi {%= $Contact.first_name %} " + XSS, "message": "<b>bold</b>"},
        )
        shown = shown_notifications(page, 1)
        # Personalised for the first device, as text (an XSS payload is just characters).
        assert shown == [{"title": "Hi Ada " + XSS, "body": "<b>bold</b>"}]
        assert page.locator("img[src=x]").count() == 0
        assert dialogs == []
        assert errors == []
    finally:
        context.close()


def test_new_sends_wait_in_a_bar_while_the_reader_is_on_the_list(page: Page, base_url: str) -> None:
    post_send(base_url, content={"title": "Being read", "message": "m"})
    open_live(page, base_url + "/")
    rows = page.locator("tr.send-row")
    expect(rows).to_have_count(1)
    rows.first.hover()  # the pointer is on the list: it must not move under it
    post_send(base_url, content={"title": "Arrived meanwhile", "message": "m"})
    bar = page.get_by_role("button", name=re.compile(r"1 new send"))
    expect(bar).to_be_visible(timeout=2000)
    expect(rows).to_have_count(1)
    bar.click()
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Arrived meanwhile")
    expect(bar).to_have_count(0)


def test_keys_move_open_search_and_go_back(page: Page, base_url: str) -> None:
    post_send(base_url, content={"title": "Older push", "message": "m"})
    post_send(base_url, content={"title": "Newer push", "message": "m"})
    open_live(page, base_url + "/")
    page.keyboard.press("j")
    expect(page.locator("tr.send-row.selected")).to_contain_text("Newer push")
    page.keyboard.press("j")
    expect(page.locator("tr.send-row.selected")).to_contain_text("Older push")
    page.keyboard.press("k")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(page.locator(".send-title")).to_contain_text("Older push")
    expect(page.locator("#live")).to_have_attribute("data-state", "live")  # its keys listen
    page.keyboard.press("Escape")
    expect(page.locator("#filters")).to_be_visible()
    expect(page.locator("#live")).to_have_attribute("data-state", "live")
    page.keyboard.press("/")
    expect(page.locator("input[name=q]")).to_be_focused()
    page.keyboard.type("title:newer")
    expect(page.locator("tr.send-row")).to_have_count(1)
    assert "q=title%3Anewer" in page.url  # the search is in the address: a deep link
    page.keyboard.press("Escape")
    expect(page.locator("input[name=q]")).not_to_be_focused()


def test_dark_mode_follows_the_system_and_a_choice_is_remembered(
    browser: Browser, base_url: str
) -> None:
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    background = "() => getComputedStyle(document.documentElement).backgroundColor"
    try:
        open_live(page, base_url + "/")
        assert page.evaluate(background) == "rgb(20, 23, 31)"
        page.get_by_role("button", name="Theme: auto").click()
        expect(page.get_by_role("button", name="Theme: light")).to_be_visible()
        assert page.evaluate(background) == "rgb(245, 246, 248)"
        page.reload()
        expect(page.get_by_role("button", name="Theme: light")).to_be_visible()
        assert page.evaluate(background) == "rgb(245, 246, 248)"
        page.get_by_role("button", name="Theme: light").click()  # -> dark
        page.get_by_role("button", name="Theme: dark").click()  # -> auto: the system's again
        assert page.evaluate("localStorage.getItem('push-emulator-theme')") is None
        assert page.evaluate(background) == "rgb(20, 23, 31)"
    finally:
        context.close()


def test_a_long_text_is_clamped_as_the_platform_shows_it_until_expanded(
    page: Page, base_url: str
) -> None:
    message = "A message that goes on. " * 12
    answer = post_send(base_url, content={"title": "Short", "message": message})
    open_live(page, f"{base_url}/_emulator/ui/sends/{answer['transactionId']}")
    card = page.locator(".delivery", has_text="fcm-ada-pixel8")
    text = card.locator(".n-message")
    expect(text).to_have_text(message.strip())  # whole in the page, clamped on screen
    line = text.evaluate("(e) => parseFloat(getComputedStyle(e).lineHeight)")
    assert height(text) <= line * 1.5  # Android: one line collapsed
    card.get_by_role("button", name="Expand").click()
    assert height(text) > line * 3
    expect(card.get_by_role("button", name="Collapse")).to_have_attribute("aria-expanded", "true")
    expect(page.locator(".cut-notes")).to_contain_text("Android shows about 45")


def test_dispatch_now_fans_a_scheduled_send_out_live(page: Page, base_url: str) -> None:
    answer = post_send(
        base_url, content={"title": "Next year", "message": "m"}, scheduleDate="2099-01-01 09:00"
    )
    open_live(page, f"{base_url}/_emulator/ui/sends/{answer['transactionId']}")
    expect(page.locator(".send-title")).to_have_attribute("data-status", "Scheduled")
    page.get_by_role("button", name="Dispatch now").click()
    expect(page.locator(".send-title")).to_have_attribute("data-status", "Completed", timeout=5000)
    expect(page.locator(".delivery", has_text="fcm-ada-pixel8")).to_be_visible()
    expect(page.get_by_role("button", name="Dispatch now")).to_have_count(0)


def test_each_delivery_links_to_its_devices_inbox_and_its_contacts_sends(
    page: Page, base_url: str
) -> None:
    answer = post_send(base_url, content={"title": "Linked", "message": "m"})
    open_live(page, f"{base_url}/_emulator/ui/sends/{answer['transactionId']}")
    card = page.locator(".delivery", has_text="fcm-ada-pixel8")
    card.locator(".facts a", has_text="fcm-ada-pixel8").click()
    expect(page.locator("h1")).to_contain_text("fcm-ada-pixel8")
    expect(page.locator(".feed-item")).to_contain_text("Linked")
    page.locator(".summary a", has_text="c-001").click()
    expect(page.locator("h1")).to_have_text("Contact c-001")
    expect(page.locator("tr.send-row")).to_contain_text("Linked")
    post_send(base_url, content={"title": "Live for the contact", "message": "m"})
    expect(page.locator("tr.send-row", has_text="Live for the contact")).to_be_visible(timeout=5000)
