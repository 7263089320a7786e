"""The web inbox on an emulator with an admin token: the data is fetched with the token."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ADMIN_TOKEN, Dialogs
from tests.support.demo import ANDROID_APP, DEMO

pytestmark = pytest.mark.browser


def post_send(url: str, title: str) -> None:
    body = {"applicationIds": [ANDROID_APP], "content": {"title": title, "message": "m"}}
    response = httpx.post(f"{url}/rest/push/sendInstant", json=body, headers=DEMO)
    assert response.status_code == 200


def test_a_token_in_the_address_is_kept_for_the_tab_and_removed_from_it(
    page: Page, guarded_server: str, dialogs: Dialogs
) -> None:
    post_send(guarded_server, "Guarded push")
    page.goto(f"{guarded_server}/?token={ADMIN_TOKEN}")
    expect(page.locator("tr.send-row", has_text="Guarded push")).to_be_visible(timeout=5000)
    assert "token" not in page.url
    expect(page.locator("#live")).to_have_attribute("data-state", "live", timeout=5000)
    post_send(guarded_server, "Live behind a token")
    expect(page.locator("tr.send-row", has_text="Live behind a token")).to_be_visible(timeout=1000)
    assert dialogs.seen == []


def test_without_a_token_the_page_asks_for_it(
    page: Page, guarded_server: str, dialogs: Dialogs
) -> None:
    post_send(guarded_server, "Asked for")
    dialogs.answer = ADMIN_TOKEN
    page.goto(f"{guarded_server}/_emulator/ui/")
    expect(page.locator("tr.send-row", has_text="Asked for").first).to_be_visible(timeout=5000)
    assert [d.split(":")[0] for d in dialogs.seen] == ["prompt"]  # asked once
    assert page.evaluate("sessionStorage.length") == 1


def test_a_wrong_token_shows_no_data(page: Page, guarded_server: str, dialogs: Dialogs) -> None:
    post_send(guarded_server, "Not for you")
    dialogs.answer = "wrong"
    page.goto(f"{guarded_server}/_emulator/ui/")
    expect(page.locator("#content")).to_contain_text("admin token was not accepted")
    expect(page.locator("#content")).not_to_contain_text("Not for you")
    # The live stream keeps trying quietly; the user is not asked again and again.
    expect(page.locator("#live")).to_have_attribute("data-state", "offline")
    assert [d.split(":")[0] for d in dialogs.seen] == ["prompt"]
