"""The web inbox's view helpers: what a row says, and how each platform's preview is drawn."""

from datetime import UTC, datetime
from typing import Any

from emulator.push.fixtures import Application, FixtureSet
from emulator.ui.inbox import applications, send_title, warnings_badge
from emulator.ui.layout import http_status_class, when
from emulator.ui.preview import delivery_card, language_fact, notification, relative_time

ANDROID = "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"
NOW = datetime(2026, 1, 2, 3, 10, tzinfo=UTC)
FIXTURES = FixtureSet(
    applications=[Application(id=ANDROID, name="Shop <Android>", platform="android")]
)


def delivery(**fields: Any) -> dict[str, Any]:
    return {
        "id": 7,
        "token": "t",
        "applicationId": ANDROID,
        "platform": "android",
        "contactKey": None,
        "language": None,
        "deviceLanguage": None,
        "deviceType": None,
        "browser": None,
        "title": "T",
        "message": "M",
        "targetUrl": None,
        "mediaUrl": None,
        "extra": {},
        "status": "Delivered",
        "outcome": "delivered",
        "reason": None,
        "finalAt": "2026-01-02T03:04:05Z",
        "createdAt": "2026-01-02T03:04:05Z",
        "openedAt": None,
        "clickedAt": None,
        **fields,
    }


def test_the_title_of_a_multi_language_send_is_its_default_language_entry() -> None:
    content = {
        "multiLangContent": {
            "defaultLanguage": "TR",
            "contents": [
                {"language": "EN", "title": "Sale", "message": "m-en"},
                {"language": "tr", "title": "İndirim", "message": "m-tr"},
            ],
        }
    }
    assert send_title(content) == ("İndirim", "m-tr")
    assert send_title({"content": {"title": "Hi"}}) == ("Hi", "")
    assert send_title({}) == ("", "")


def test_applications_are_named_from_the_fixtures_and_unknown_ids_kept() -> None:
    send = {"applicationIds": [ANDROID, "gone"], "allApplications": False}
    assert applications(send, FIXTURES) == "Shop <Android>, gone"
    assert applications({"allApplications": True}, FIXTURES) == "All applications"


def test_the_warnings_badge_counts_and_lists_them_escaped() -> None:
    assert warnings_badge([]) == ""
    badge = warnings_badge(["a <b>", "c"])
    assert ">2 warnings<" in badge
    assert 'title="a &lt;b&gt;\nc"' in badge


def test_app_names_from_fixtures_are_escaped_too() -> None:
    assert "Shop &lt;Android&gt;" in notification(delivery(), FIXTURES, NOW)


def test_each_platform_has_its_own_preview_and_an_unknown_one_falls_back() -> None:
    ios = notification(delivery(platform="ios"), FIXTURES, NOW)
    assert 'class="device ios"' in ios
    assert 'class="n p-ios"' in ios
    web = notification(
        delivery(platform="web", browser="Firefox", targetUrl="https://shop.example.com/x"),
        FIXTURES,
        NOW,
    )
    assert 'class="device web"' in web
    assert 'class="n p-firefox"' in web
    assert ">Firefox<" in web
    assert '<span class="n-site">shop.example.com</span>' in web  # the sender a browser names
    assert 'class="device android"' in notification(delivery(platform="tv"), FIXTURES, NOW)
    # A web push on a phone is drawn by the phone's shade, named after its browser.
    phone = notification(
        delivery(platform="web", browser="Chrome", deviceType="Mobile"), FIXTURES, NOW
    )
    assert 'class="n p-android"' in phone
    assert ">Google Chrome<" in phone


def test_desktop_chrome_offers_each_operating_system_and_only_one_shows() -> None:
    chrome = notification(delivery(platform="web", browser="Chrome"), FIXTURES, NOW)
    assert [
        key
        for key in ("chrome-windows", "chrome-macos", "chrome-linux")
        if f'class="n p-{key}"' in chrome
    ] == ["chrome-windows", "chrome-macos", "chrome-linux"]
    assert '<div class="os-variant" data-os="chrome-windows">' in chrome
    assert '<div class="os-variant hidden" data-os="chrome-macos">' in chrome


def test_expand_toggles_only_where_the_platform_has_an_expanded_view() -> None:
    assert 'data-action="expand"' in notification(delivery(), FIXTURES, NOW)  # Android
    firefox = notification(delivery(platform="web", browser="Firefox"), FIXTURES, NOW)
    assert 'data-action="expand"' not in firefox


def test_times_are_relative_as_a_notification_shade_says_them() -> None:
    assert relative_time("2026-01-02T03:04:05Z", NOW) == "5m"
    assert relative_time("2026-01-02T03:09:30Z", NOW) == "now"
    assert relative_time("2025-12-30T03:10:00Z", NOW) == "3d"
    assert relative_time(None, NOW) == "now"


def test_a_delivery_names_its_devices_language_for_single_content_too() -> None:
    assert language_fact(delivery(deviceLanguage="TR")) == "TR"
    assert language_fact(delivery(deviceLanguage="FR", language="EN")) == "FR (got the EN entry)"
    assert language_fact(delivery(deviceLanguage="tr", language="TR")) == "tr"
    assert language_fact(delivery()) == "—"


def test_a_card_shows_language_contact_and_engagement() -> None:
    card = delivery_card(
        delivery(deviceLanguage="TR", contactKey="c-1", openedAt="2026-01-02T03:04:05Z"),
        FIXTURES,
        NOW,
    )
    assert "<dt>Language</dt><dd>TR</dd>" in card
    assert '<dt>Contact</dt><dd><a href="/_emulator/ui/contacts/c-1">c-1</a></dd>' in card
    assert 'href="/_emulator/ui/devices/t"' in card  # the token links to its device's inbox
    assert "<dt>Opened</dt>" in card
    anonymous = delivery_card(delivery(status="Failed", reason="Unregistered"), FIXTURES, NOW)
    assert "(anonymous device)" in anonymous
    assert 'class="delivery failed"' in anonymous


def test_a_failed_delivery_says_what_its_platform_answered() -> None:
    bounced = delivery_card(
        delivery(
            platform="ios", status="Failed", outcome="invalidToken", reason="400 BadDeviceToken"
        ),
        FIXTURES,
        NOW,
    )
    assert (
        '<p class="fate failure">Not delivered (bounced): <strong>400 BadDeviceToken</strong> '
        '<span class="muted">invalidToken</span></p>'
    ) in bounced
    assert "<dt>Outcome</dt><dd>invalidToken</dd>" in bounced
    failed = delivery_card(
        delivery(status="Failed", outcome="throttled", reason="<QUOTA_EXCEEDED>"), FIXTURES, NOW
    )
    assert "Not delivered (failed): <strong>&lt;QUOTA_EXCEEDED&gt;</strong>" in failed
    pending = delivery_card(delivery(status="Sent", outcome=None), FIXTURES, NOW)
    assert 'class="delivery pending"' in pending
    assert (
        '<p class="fate pending">On its way: final <time datetime="2026-01-02T03:04:05Z"' in pending
    )
    assert "fate" not in delivery_card(delivery(), FIXTURES, NOW)


def test_times_and_statuses_have_their_display_forms() -> None:
    assert when("2026-01-02T03:04:05Z") == (
        '<time datetime="2026-01-02T03:04:05Z" title="2026-01-02T03:04:05Z">'
        "03:04:05<small>2026-01-02</small></time>"
    )
    assert "—" in when(None)
    assert when("<not a time>") == "&lt;not a time&gt;"
    assert [http_status_class(s) for s in (200, 401, 429, 503)] == ["s2xx", "s4xx", "s429", "s5xx"]
