"""With every outside host blocked, every page renders, the API docs too, and logs no error."""

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, WEB_APP

pytestmark = pytest.mark.browser

LOCAL = re.compile(r"^https?://127\.0\.0\.1[:/]")


@pytest.fixture
def offline(browser: Browser) -> Iterator[tuple[Page, list[str], list[str]]]:
    """A tab whose every request to another host fails, as with no network at all."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    outside: list[str] = []

    def block(route: Route) -> None:
        if LOCAL.match(route.request.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort("internetdisconnected")

    context.route("**/*", block)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield page, errors, outside
    context.close()


def test_every_page_renders_with_no_network(
    offline: tuple[Page, list[str], list[str]], base_url: str
) -> None:
    page, errors, outside = offline
    body = {
        "applicationIds": [ANDROID_APP, IOS_APP, WEB_APP],
        "content": {"title": "Offline", "message": "No network needed"},
    }
    answer = httpx.post(f"{base_url}/rest/push/sendInstant", json=body, headers=DEMO).json()
    httpx.get(f"{base_url}/_emulator/sends/wait", params={"count": 1}, timeout=15)
    for path, ready in [
        ("/", "tr.send-row"),
        (f"/_emulator/ui/sends/{answer['transactionId']}", ".delivery"),
        ("/_emulator/ui/requests", "tr.request-row"),
        ("/_emulator/ui/devices/fcm-ada-pixel8", ".feed-item"),
        ("/_emulator/ui/contacts/c-001", "tr.send-row"),
    ]:
        page.goto(base_url + path)
        expect(page.locator(ready).first).to_be_visible()
        expect(page.locator("#live")).to_have_attribute("data-state", "live")
    page.goto(base_url + "/_emulator/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("push-emulator")
    operation = page.locator(".opblock-summary-path", has_text="/_emulator/sends/{key}/dispatch")
    expect(operation.first).to_be_visible()
    assert errors == []
    assert outside == []  # nothing was even asked of another host
