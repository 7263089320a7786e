"""The web inbox in headless Chromium against a real server: live, personalised, inert."""

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Dialogs
from tests.support.browsing import open_live, post_send
from tests.support.demo import ANDROID_APP, IOS_APP, WEB_APP, WELCOME_TEMPLATE

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"


def completed(base_url: str, answer: dict[str, Any]) -> None:
    tracking = answer["data"]["trackingId"]
    response = httpx.get(
        f"{base_url}/_emulator/sends/wait",
        params={"trackingId": tracking, "timeout": 10},
        timeout=15,
    )
    assert response.status_code == 200, response.text


def test_a_send_appears_in_the_open_inbox_within_a_second(page: Page, base_url: str) -> None:
    open_live(page, base_url + "/")
    page.evaluate("window.notReloaded = true")
    post_send(base_url, content={"title": "Fresh from httpx", "message": "live"})
    row = page.locator("tr.send-row", has_text="Fresh from httpx")
    expect(row).to_be_visible(timeout=1000)
    # Its status then moves on to Completed, also without a reload.
    expect(row).to_have_attribute("data-status", "Completed", timeout=5000)
    assert page.evaluate("window.notReloaded") is True


def test_the_send_view_shows_the_personalised_text_of_each_device(
    page: Page, base_url: str
) -> None:
    answer = post_send(
        base_url,
        applicationIds=[ANDROID_APP, IOS_APP, WEB_APP],
        content={"templateId": WELCOME_TEMPLATE},
    )
    # Opened at once: the deliveries arrive live if the fan-out is not done yet.
    open_live(page, f"{base_url}/_emulator/ui/sends/{answer['transactionId']}")
    ada_android = page.locator('.delivery[data-platform="android"]', has_text="fcm-ada-pixel8")
    expect(ada_android.locator(".n-title")).to_have_text("Welcome back, Ada!", timeout=5000)
    expect(ada_android.locator(".n-message")).to_have_text("Ada, your basket is waiting for you.")
    mehmet_ios = page.locator('.delivery[data-platform="ios"]', has_text="apns-mehmet-iphone")
    expect(mehmet_ios.locator(".n-title")).to_have_text("Welcome back, Mehmet!")
    anonymous = page.locator(".delivery", has_text="fcm-anonymous-1")
    expect(anonymous.locator(".n-title")).to_have_text("Welcome back, friend!")
    web = page.locator('.delivery[data-platform="web"]', has_text="web-ada-chrome")
    shown = web.locator(".os-variant:not(.hidden)")
    expect(shown.locator(".n-app")).to_have_text("Google Chrome")
    expect(shown.locator(".n-site")).to_have_text("shop.example.com")
    expect(shown.locator(".n")).to_have_attribute("data-profile", "chrome-windows")
    # Another operating system is one click away, and the choice holds for every card.
    web.get_by_role("button", name="macOS").click()
    expect(web.locator(".os-variant:not(.hidden) .n")).to_have_attribute(
        "data-profile", "chrome-macos"
    )
    expect(web.locator(".os-variant:not(.hidden) .n-image")).to_be_hidden()  # none on macOS
    # The request as received, pretty-printed.
    expect(page.locator("#request-json")).to_contain_text(f'"templateId": "{WELCOME_TEMPLATE}"')

    # Open, from the inspection API, shows on the card once the emulator has recorded it.
    ada_android.get_by_role("button", name="Open").click()
    expect(ada_android.locator(".facts")).to_contain_text("Opened", timeout=5000)


def test_an_xss_payload_stays_inert_text(page: Page, base_url: str, dialogs: Dialogs) -> None:
    answer = post_send(
        base_url,
        content={
            "title": XSS,
            "message": "<script>alert(2)</script>",
            "targetUrl": "javascript:alert(3)",
            "mediaUrl": "javascript:alert(4)",
        },
    )
    completed(base_url, answer)
    open_live(page, base_url + "/")
    expect(page.locator("tr.send-row td.title a")).to_have_text(XSS)
    post_send(base_url, content={"title": XSS + " again", "message": "live"})  # rendered live
    expect(page.locator("tr.send-row", has_text=XSS + " again")).to_be_visible(timeout=1000)
    assert page.locator("img[src=x]").count() == 0

    open_live(page, f"{base_url}/_emulator/ui/sends/{answer['transactionId']}")
    card = page.locator(".delivery").first
    expect(card.locator(".n-title")).to_have_text(XSS)
    expect(card.locator(".n-message")).to_have_text("<script>alert(2)</script>")
    expect(card.locator(".inert-link")).to_have_text("javascript:alert(3)")
    assert page.locator("a[href^='javascript' i]").count() == 0
    assert page.locator("img[src^='javascript' i], img[src=x]").count() == 0
    # Clicking the inert target does nothing either.
    card.locator(".inert-link").click()
    assert dialogs.seen == []


def test_filters_narrow_the_inbox_and_keep_narrowing_live(page: Page, base_url: str) -> None:
    post_send(base_url, content={"title": "Android deal", "message": "a"})
    post_send(base_url, applicationIds=[IOS_APP], content={"title": "iOS deal", "message": "b"})
    post_send(
        base_url, content={"title": "Tomorrow", "message": "c"}, scheduleDate="2099-01-01 10:00"
    )
    open_live(page, base_url + "/")
    rows = page.locator("tr.send-row")
    expect(rows).to_have_count(3)

    page.select_option("select[name=applicationId]", IOS_APP)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("iOS deal")
    assert f"applicationId={IOS_APP}" in page.url  # a filtered inbox can be bookmarked
    # A new send the filter does not match stays out; one it matches comes in live.
    post_send(base_url, content={"title": "Another Android", "message": "d"})
    post_send(base_url, applicationIds=[IOS_APP], content={"title": "iOS live", "message": "e"})
    expect(rows).to_have_count(2, timeout=2000)
    expect(page.locator("tr.send-row", has_text="Another Android")).to_have_count(0)

    page.select_option("select[name=applicationId]", "")
    page.select_option("select[name=status]", "Scheduled")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Tomorrow")

    page.select_option("select[name=status]", "")
    page.fill("input[name=q]", "deal")
    expect(rows).to_have_count(2)
    expect(page.locator("#list")).not_to_contain_text("Tomorrow")
    page.reload()  # the filters live in the URL
    expect(page.locator("input[name=q]")).to_have_value("deal")
    expect(rows).to_have_count(2)


def test_clear_asks_first_then_empties_the_inbox(
    page: Page, base_url: str, dialogs: Dialogs
) -> None:
    post_send(base_url, content={"title": "To be cleared", "message": "x"})
    open_live(page, base_url + "/")
    dialogs.accept = False
    with page.expect_event("dialog") as asked:
        page.get_by_role("button", name="Clear sends").click()
    assert asked.value.type == "confirm"
    expect(page.locator("tr.send-row")).to_have_count(1)
    dialogs.accept = True
    page.get_by_role("button", name="Clear sends").click()
    expect(page.locator("tr.send-row")).to_have_count(0)
    expect(page.locator("#list")).to_contain_text("No sends yet")


def test_the_requests_view_shows_refusals_and_filters_by_status(page: Page, base_url: str) -> None:
    post_send(base_url, content={"title": "ok", "message": "x"})
    httpx.post(f"{base_url}/rest/push/sendInstant", json={}, headers={"Authorization": "Bearer no"})
    open_live(page, base_url + "/_emulator/ui/requests")
    rows = page.locator("tr.request-row")
    expect(rows).to_have_count(2)
    refused = page.locator("tr.request-row.s4xx")
    expect(refused).to_contain_text("401")
    expect(refused.locator(".error")).to_contain_text("Not authenticated")
    # A new refusal arrives live.
    httpx.post(f"{base_url}/rest/login", json={"userkey": "demo-user", "password": "wrong"})
    expect(page.locator("tr.request-row.s4xx")).to_have_count(2, timeout=2000)
    page.select_option("select[name=status]", "2xx")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_class(re.compile(r"\bs2xx\b"))


def test_a_scheduled_send_fans_out_live_when_its_time_comes(page: Page, base_url: str) -> None:
    frozen = {"mode": "frozen", "at": "2030-01-01T00:00:00Z"}
    httpx.put(f"{base_url}/_emulator/clock", json=frozen).raise_for_status()
    answer = post_send(
        base_url, content={"title": "Later", "message": "m"}, scheduleDate="2030-01-02 12:00"
    )
    open_live(page, f"{base_url}/_emulator/ui/sends/{answer['transactionId']}")
    expect(page.locator(".send-title")).to_have_attribute("data-status", "Scheduled")
    expect(page.locator("#content")).to_contain_text("Not fanned out yet")
    page.evaluate("window.notReloaded = true")

    httpx.post(f"{base_url}/_emulator/clock/advance", json={"seconds": 3 * 86400})
    expect(page.locator(".send-title")).to_have_attribute("data-status", "Completed", timeout=5000)
    expect(page.locator(".delivery", has_text="fcm-ada-pixel8")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True


def test_reset_asks_first_then_starts_over(page: Page, base_url: str) -> None:
    post_send(base_url, content={"title": "Before the reset", "message": "x"})
    open_live(page, base_url + "/")
    expect(page.locator("tr.send-row")).to_have_count(1)
    with page.expect_event("dialog") as asked:
        page.get_by_role("button", name="Reset").click()
    assert asked.value.type == "confirm"
    expect(page.locator("tr.send-row")).to_have_count(0)
    requests = httpx.get(f"{base_url}/_emulator/requests").json()["items"]
    assert requests == []
