"""The platform limits: which previews a delivery gets, where text is cut, the clamps' CSS."""

from emulator.ui.platforms import (
    ANDROID,
    CHROMIUM_DESKTOP,
    FIREFOX,
    IOS,
    PROFILES,
    SAFARI,
    cuts,
    platform_css,
    profiles_for,
)

TITLE_113 = "T" * 113


def test_each_device_gets_the_profiles_of_how_it_shows_a_notification() -> None:
    assert profiles_for({"platform": "android"}) == (ANDROID,)
    assert profiles_for({"platform": "ios"}) == (IOS,)
    assert profiles_for({"platform": "web", "browser": "Firefox"}) == (FIREFOX,)
    assert profiles_for({"platform": "web", "browser": "Safari"}) == (SAFARI,)
    assert profiles_for({"platform": "web", "browser": "Edge"}) == CHROMIUM_DESKTOP
    assert profiles_for({"platform": "web", "browser": "Chrome", "deviceType": "Mobile"}) == (
        ANDROID,
    )
    assert profiles_for({"platform": "smart-fridge"}) == (ANDROID,)


def test_a_long_title_is_reported_per_platform_targeted_with_what_it_shows() -> None:
    found = cuts([{"platform": "android", "title": TITLE_113, "message": "short"}])
    assert [str(cut) for cut in found] == ["title: 113 characters; Android shows about 40"]
    web = cuts([{"platform": "web", "browser": "Chrome", "title": "x" * 50, "message": ""}])
    assert [str(cut) for cut in web] == [
        "title: 50 characters; Chrome on macOS shows about 43, Chrome on Linux about 45"
    ]


def test_the_longest_personalised_text_counts_and_short_text_is_not_reported() -> None:
    deliveries = [
        {"platform": "ios", "title": "Hi", "message": "m" * 100},
        {"platform": "ios", "title": "Hi", "message": "m" * 200},
    ]
    assert [str(cut) for cut in cuts(deliveries)] == [
        "message: 200 characters; iOS lock screen shows about 178"
    ]
    assert cuts([{"platform": "android", "title": "Hi", "message": "Hello"}]) == []


def test_the_stylesheet_clamps_each_platform_by_its_own_numbers() -> None:
    css = platform_css()
    for profile in PROFILES:
        title = f".p-{profile.key} .n-title {{ -webkit-line-clamp: {profile.title_lines};"
        assert title in css
    assert ".p-android .n-thumb { display: block; }" in css  # collapsed: a thumbnail
    assert ".p-android.expanded .n-image { display: block; }" in css  # expanded: the picture
    assert ".p-firefox .n-image { display: none; }" in css  # Firefox shows no image
    assert ".p-firefox .n-thumb { display: none; }" in css
    assert ".p-chrome-macos.expanded .n-image { display: none; }" in css
    assert ".p-ios.expanded .n-message { -webkit-line-clamp: unset; line-clamp: none; }" in css
