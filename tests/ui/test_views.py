"""The web inbox's view helpers: what a row says, and how each platform's preview is drawn."""

from typing import Any

from emulator.push.fixtures import Application, FixtureSet
from emulator.ui.inbox import applications, send_title, warnings_badge
from emulator.ui.layout import http_status_class, when
from emulator.ui.preview import delivery_card, notification

ANDROID = "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"
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
    assert "Shop &lt;Android&gt;" in notification(delivery(), FIXTURES)


def test_each_platform_has_its_own_preview_and_an_unknown_one_falls_back() -> None:
    assert 'class="device ios"' in notification(delivery(platform="ios"), FIXTURES)
    web = notification(
        delivery(platform="web", browser="Firefox", targetUrl="https://shop.example.com/x"),
        FIXTURES,
    )
    assert 'class="device web"' in web
    assert ">Firefox<" in web
    assert ">shop.example.com<" in web  # the site a browser names as the sender
    assert 'class="device android"' in notification(delivery(platform="tv"), FIXTURES)


def test_a_card_shows_language_contact_and_engagement() -> None:
    card = delivery_card(
        delivery(language="TR", contactKey="c-1", openedAt="2026-01-02T03:04:05Z"), FIXTURES
    )
    assert "<dt>Language</dt><dd>TR</dd>" in card
    assert "<dt>Contact</dt><dd>c-1</dd>" in card
    assert "<dt>Opened</dt>" in card
    anonymous = delivery_card(delivery(status="Failed", reason="Unregistered"), FIXTURES)
    assert "(anonymous device)" in anonymous
    assert 'class="delivery failed"' in anonymous


def test_a_failed_delivery_says_what_its_platform_answered() -> None:
    bounced = delivery_card(
        delivery(
            platform="ios", status="Failed", outcome="invalidToken", reason="400 BadDeviceToken"
        ),
        FIXTURES,
    )
    assert (
        '<p class="fate failure">Not delivered (bounced): <strong>400 BadDeviceToken</strong> '
        '<span class="muted">invalidToken</span></p>'
    ) in bounced
    assert "<dt>Outcome</dt><dd>invalidToken</dd>" in bounced
    failed = delivery_card(
        delivery(status="Failed", outcome="throttled", reason="<QUOTA_EXCEEDED>"), FIXTURES
    )
    assert "Not delivered (failed): <strong>&lt;QUOTA_EXCEEDED&gt;</strong>" in failed
    pending = delivery_card(delivery(status="Sent", outcome=None), FIXTURES)
    assert 'class="delivery pending"' in pending
    assert (
        '<p class="fate pending">On its way: final <time datetime="2026-01-02T03:04:05Z"' in pending
    )
    assert "fate" not in delivery_card(delivery(), FIXTURES)


def test_times_and_statuses_have_their_display_forms() -> None:
    assert when("2026-01-02T03:04:05Z") == (
        '<time datetime="2026-01-02T03:04:05Z" title="2026-01-02T03:04:05Z">'
        "03:04:05<small>2026-01-02</small></time>"
    )
    assert "—" in when(None)
    assert when("<not a time>") == "&lt;not a time&gt;"
    assert [http_status_class(s) for s in (200, 401, 429, 503)] == ["s2xx", "s4xx", "s429", "s5xx"]
