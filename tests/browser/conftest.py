"""Headless Chromium (Debian's, never a downloaded one) driven by Playwright, and a server.

Without Chromium these tests are skipped with a line saying how to install it; in CI
(`CI=true`) a missing browser fails them instead, so the suite cannot pass by skipping.
"""

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.support.server import serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = os.environ.get("EMULATOR_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL_HINT = (
    "browser tests need Debian's Chromium at {path}: install it with "
    "`sudo apt-get install -y chromium` (and `make install` for playwright)"
)
ADMIN_TOKEN = "browser-admin-token"


def _missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return INSTALL_HINT.format(path=CHROMIUM)
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return INSTALL_HINT.format(path=CHROMIUM)
    return None


# Per module, not per session: Playwright's sync API keeps an asyncio loop running on the main
# thread while it is open, and tests elsewhere that call asyncio.run() must not find one.
@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    problem = _missing()
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real server for the session; each test starts from a reset."""
    with serving(tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="session")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with an admin token, as a shared dev stack might run."""
    env = {"EMULATOR_ADMIN_TOKEN": ADMIN_TOKEN}
    with serving(tmp_path_factory.mktemp("guarded"), env=env) as url:
        yield url


@pytest.fixture
def base_url(server: str) -> str:
    httpx.post(f"{server}/_emulator/reset", timeout=10).raise_for_status()
    return server


class Dialogs:
    """Every alert/confirm/prompt a page opened; an XSS payload that ran would show here."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.accept = True
        self.answer = ""  # what a prompt is answered with

    def __call__(self, dialog: Any) -> None:
        self.seen.append(f"{dialog.type}: {dialog.message}")
        if self.accept:
            dialog.accept(self.answer)
        else:
            dialog.dismiss()


@pytest.fixture
def dialogs() -> Dialogs:
    return Dialogs()


# Media URLs in the fixtures point at hosts that do not exist; the browser gets this instead,
# so the tests never reach past the local server.
PLACEHOLDER_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"/>'
ELSEWHERE = re.compile(r"^https?://(?!127\.0\.0\.1[:/])")


@pytest.fixture
def page(browser: "Browser", dialogs: Dialogs) -> Iterator["Page"]:
    """A fresh tab; at the end, no script error and no console error (a CSP violation is one),
    other than the 401s a test without the admin token provokes on purpose."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.route(
        ELSEWHERE,
        lambda route: route.fulfill(content_type="image/svg+xml", body=PLACEHOLDER_SVG),
    )
    opened = context.new_page()
    opened.on("dialog", dialogs)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    yield opened
    context.close()
    assert [e for e in errors if "status of 401" not in e] == []
