"""The Webhooks page in headless Chromium: attempts appear live, a receiver's text stays inert."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Dialogs
from tests.support.receiver import receiving

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def test_attempts_appear_live_and_a_receivers_answer_is_inert_text(
    page: Page, base_url: str, dialogs: Dialogs
) -> None:
    with receiving(statuses=[500, 200]) as receiver:
        receiver.answer = XSS.encode()
        webhooks = [{"url": receiver.url, "events": ["request"]}]
        assert httpx.put(f"{base_url}/_emulator/webhooks", json=webhooks).status_code == 200
        page.goto(base_url + "/_emulator/ui/webhooks")
        expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=5000)
        expect(page.locator("table.webhooks")).to_contain_text(receiver.url)
        page.evaluate("window.notReloaded = true")
        login = {"userkey": "nobody", "password": "wrong"}
        assert httpx.post(f"{base_url}/rest/login", json=login).status_code == 401
        # The first try is answered 500 with markup, the retry (after 1 s) 200.
        failed = page.locator("tr.attempt-row[data-result='failed']")
        expect(failed).to_contain_text(f"HTTP 500: {XSS}", timeout=5000)
        delivered = page.locator("tr.attempt-row[data-result='delivered']")
        expect(delivered).to_have_count(1, timeout=5000)
        expect(delivered).to_contain_text("request")
        assert page.evaluate("window.notReloaded") is True
    assert page.locator("#list img").count() == 0
    assert dialogs.seen == []
