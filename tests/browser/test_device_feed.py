"""The README's browser snippet, pasted into the emulator's page: each push to a device
becomes a Notification, and clicking it clicks the delivery."""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page

from emulator.testing import RunningEmulator, run_emulator
from tests.support.demo import DEMO, WEB_APP

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parent.parent.parent / "README.md"
# Stands in for the browser's notifications, which a headless browser cannot show.
RECORDING = """
window.notes = [];
window.Notification = class {
  static requestPermission() { return Promise.resolve("granted"); }
  constructor(title, options) {
    this.title = title;
    this.options = options;
    window.notes.push(this);
  }
};
"""


def snippet() -> str:
    section = README.read_text().split("### A device's own feed", 1)[1]
    match = re.search(r"```js\n(.*?)```", section, re.DOTALL)
    assert match is not None, "the README's device feed section has no js example"
    return match.group(1)


@pytest.fixture(scope="module")
def emulator() -> Iterator[RunningEmulator]:
    with run_emulator() as running:
        yield running


def test_the_snippet_is_ten_lines() -> None:
    assert len([line for line in snippet().splitlines() if line.strip()]) == 10


def test_the_readme_snippet_turns_each_push_into_a_notification(
    page: Page, emulator: RunningEmulator
) -> None:
    page.add_init_script(RECORDING)
    page.goto(emulator.url + "/")
    page.evaluate(f"async () => {{ {snippet()} }}")
    deadline = time.monotonic() + 10
    while "web-ada-chrome" not in emulator.runtime.events.watched_devices():
        assert time.monotonic() < deadline, "the page never opened the device's feed"
        time.sleep(0.02)
    push = {
        "applicationIds": [WEB_APP],
        "content": {
            "title": "Sale",
            "message": "Today only",
            "targetUrl": "https://shop.example.com/",
        },
    }
    sent = httpx.post(f"{emulator.base_url}/push/sendInstant", json=push, headers=DEMO)
    assert sent.status_code == 200, sent.text
    # Polled from here: the page's CSP forbids the eval a wait_for_function string needs.
    deadline = time.monotonic() + 10
    while page.evaluate("window.notes.length") == 0:
        assert time.monotonic() < deadline, "no notification was shown"
        time.sleep(0.05)
    assert page.evaluate("[window.notes[0].title, window.notes[0].options.body]") == [
        "Sale",
        "Today only",
    ]
    page.evaluate("window.notes[0].onclick()")
    tracking_id = sent.json()["data"]["trackingId"]
    deadline = time.monotonic() + 10
    while True:
        deliveries = emulator.client.send(tracking_id)["deliveries"]
        [ada] = [d for d in deliveries if d["token"] == "web-ada-chrome"]
        if ada["clickedAt"] is not None:
            break
        assert time.monotonic() < deadline, "the click never reached the emulator"
        time.sleep(0.05)
    assert ada["openedAt"] is not None  # a click counts as an open
