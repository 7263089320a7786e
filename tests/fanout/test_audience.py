"""Audience resolution over the bundled fixtures: segment, table, every device, engaged only."""

import pytest

from emulator.fanout.audience import Audience, AudienceIndexes, resolve_audience
from emulator.push import registry
from emulator.push.fixtures import FixtureSet, load_fixtures, parse_fixtures
from emulator.settings import BUNDLED_FIXTURES
from tests.support.demo import (
    ANDROID_APP,
    IOS_APP,
    MASTER_TABLE,
    TURKISH_SEGMENT,
    VIP_SEGMENT,
    WEB_APP,
)

ALL_APPS = [ANDROID_APP, IOS_APP, WEB_APP]


@pytest.fixture(scope="module")
def fixtures() -> FixtureSet:
    return load_fixtures(BUNDLED_FIXTURES)


def tokens(fixtures: FixtureSet, audience: Audience) -> list[str]:
    return [r.device.token for r in resolve_audience(fixtures, audience)]


def test_no_segment_or_table_means_every_device_of_the_applications(
    fixtures: FixtureSet,
) -> None:
    assert tokens(fixtures, Audience([ANDROID_APP])) == [
        "fcm-ada-pixel8",
        "fcm-mehmet-galaxy",
        "fcm-ayse-redmi",
        "fcm-jonas-tab",
        "fcm-zeynep-a54",
        "fcm-old-handset",  # unregistered devices are targeted; their delivery fails
        "fcm-anonymous-1",  # anonymous devices too
    ]
    assert len(tokens(fixtures, Audience(ALL_APPS))) == len(fixtures.devices)


def test_a_segment_means_its_contacts_devices_in_the_targeted_applications(
    fixtures: FixtureSet,
) -> None:
    audience = Audience([ANDROID_APP, IOS_APP], segment_id=TURKISH_SEGMENT)
    assert tokens(fixtures, audience) == [
        "fcm-mehmet-galaxy",
        "fcm-ayse-redmi",
        "fcm-zeynep-a54",
        "fcm-old-handset",
        "apns-mehmet-iphone",
    ]


def test_a_table_means_its_contacts_devices_and_never_anonymous_ones(
    fixtures: FixtureSet,
) -> None:
    audience = Audience([ANDROID_APP], table_id=MASTER_TABLE)
    assert tokens(fixtures, audience) == [
        "fcm-ada-pixel8",
        "fcm-mehmet-galaxy",
        "fcm-ayse-redmi",
        "fcm-jonas-tab",
        "fcm-zeynep-a54",
        "fcm-old-handset",
    ]


def test_engaged_only_with_a_segment(fixtures: FixtureSet) -> None:
    audience = Audience(ALL_APPS, segment_id=VIP_SEGMENT, use_only_engaged=True)
    assert tokens(fixtures, audience) == [
        "fcm-ada-pixel8",
        "apns-grace-iphone15",
        "web-ada-chrome",
        "web-jonas-firefox",
    ]


def test_engaged_only_without_a_segment(fixtures: FixtureSet) -> None:
    audience = Audience([WEB_APP], use_only_engaged=True)
    assert tokens(fixtures, audience) == [
        "web-ada-chrome",
        "web-jonas-firefox",
        "web-zeynep-chrome",
    ]


def test_engaged_only_with_a_table(fixtures: FixtureSet) -> None:
    audience = Audience([IOS_APP], table_id=MASTER_TABLE, use_only_engaged=True)
    assert tokens(fixtures, audience) == ["apns-grace-iphone15", "apns-alan-ipad"]


@pytest.mark.parametrize(
    "audience",
    [
        Audience(ALL_APPS, segment_id="00000000-0000-0000-0000-000000000000"),
        Audience(ALL_APPS, table_id="00000000-0000-0000-0000-000000000000"),
        Audience(["00000000-0000-0000-0000-000000000000"]),
        Audience([]),
    ],
)
def test_unknown_ids_add_no_devices(fixtures: FixtureSet, audience: Audience) -> None:
    assert tokens(fixtures, audience) == []


def test_an_unknown_application_beside_known_ones_adds_nothing(fixtures: FixtureSet) -> None:
    audience = Audience(["00000000-0000-0000-0000-000000000000", WEB_APP], segment_id=VIP_SEGMENT)
    assert tokens(fixtures, audience) == [
        "web-ada-chrome",
        "web-jonas-firefox",
        "web-grace-chrome-mobile",
    ]


def test_an_application_named_twice_targets_its_devices_once(fixtures: FixtureSet) -> None:
    assert tokens(fixtures, Audience([WEB_APP, WEB_APP])) == tokens(fixtures, Audience([WEB_APP]))


def test_recipients_carry_their_contacts_fields_and_application(fixtures: FixtureSet) -> None:
    recipients = resolve_audience(fixtures, Audience([WEB_APP]))
    by_token = {r.device.token: r for r in recipients}
    ada = by_token["web-ada-chrome"]
    assert ada.contact["first_name"] == "Ada"
    assert ada.contact["city"] == "London"
    assert ada.application.platform == "web"
    assert by_token["web-anonymous-firefox"].contact == {}  # a contact with no fields


def test_a_device_whose_contact_no_table_holds_knows_only_its_key() -> None:
    data = load_fixtures(BUNDLED_FIXTURES).to_json()
    data["devices"][0]["contactKey"] = "ghost"
    fixtures = parse_fixtures(data, "test")
    recipients = resolve_audience(fixtures, Audience([ANDROID_APP]))
    assert recipients[0].contact == {"contactKey": "ghost"}


def test_the_index_is_rebuilt_only_for_a_new_fixture_set(fixtures: FixtureSet) -> None:
    indexes = AudienceIndexes()
    first = indexes.of(fixtures)
    assert indexes.of(fixtures) is first
    other = load_fixtures(BUNDLED_FIXTURES)
    assert indexes.of(other) is not first


def test_each_runtime_keeps_its_own_index(fixtures: FixtureSet) -> None:
    # No module-level cache: two apps in one process (two tests) never evict each other's.
    mine, theirs = AudienceIndexes(), AudienceIndexes()
    other = load_fixtures(BUNDLED_FIXTURES)
    first = mine.of(fixtures)
    theirs.of(other)
    assert mine.of(fixtures) is first


def test_engaged_tokens_from_earlier_pushes_join_the_engaged(fixtures: FixtureSet) -> None:
    audience = Audience(
        [WEB_APP],
        use_only_engaged=True,
        engaged_tokens=frozenset({(WEB_APP, "web-sofia-safari"), (IOS_APP, "web-elif-edge")}),
    )
    assert tokens(fixtures, audience) == [
        "web-ada-chrome",
        "web-jonas-firefox",
        "web-sofia-safari",  # opened an earlier push in this application
        "web-zeynep-chrome",
    ]


def test_a_device_change_keeps_the_contact_look_ups_and_a_contact_change_rebuilds_them(
    fixtures: FixtureSet,
) -> None:
    indexes = AudienceIndexes()
    first = indexes.of(fixtures)
    devices_changed, _ = registry.change_device(fixtures, "fcm-ayse-redmi", None, {"engaged": True})
    second = indexes.of(devices_changed)
    assert second is not first
    assert second.contacts is first.contacts  # the tables did not change: not rebuilt
    assert second.devices_by_app != first.devices_by_app
    contacts_changed, _ = registry.change_contact(
        devices_changed, MASTER_TABLE, "c-001", {"first_name": "Augusta"}
    )
    third = indexes.of(contacts_changed)
    assert third.contacts["c-001"]["first_name"] == "Augusta"
    assert first.contacts["c-001"]["first_name"] == "Ada"
