"""The registry's changes as plain functions on a fixture set: validation, conflicts, order."""

from typing import Any

import pytest

from emulator.errors import BadRequest, Conflict, NotFound
from emulator.push import registry
from emulator.push.fixtures import FixtureSet, load_fixtures
from emulator.settings import BUNDLED_FIXTURES
from tests.support.demo import ANDROID_APP, IOS_APP, MASTER_TABLE, VIP_SEGMENT

NEW = {"token": "fcm-new", "applicationId": ANDROID_APP, "contactKey": "c-100"}


@pytest.fixture
def fixtures() -> FixtureSet:
    return load_fixtures(BUNDLED_FIXTURES)


def tokens(fixtures: FixtureSet) -> list[str]:
    return [device.token for device in fixtures.devices]


def test_added_devices_come_last_and_the_old_set_is_left_alone(fixtures: FixtureSet) -> None:
    changed, added = registry.add_devices(fixtures, [NEW, {**NEW, "token": "fcm-newer"}])
    assert [d.token for d in added] == ["fcm-new", "fcm-newer"]
    assert tokens(changed)[-2:] == ["fcm-new", "fcm-newer"]
    assert "fcm-new" not in tokens(fixtures)
    assert changed.devices_by_contact["c-100"] == added  # the look-ups are built afresh


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"token": "x"}, "body: record 0 (token 'x'): applicationId: is required"),
        (
            [NEW, {**NEW, "token": "y", "status": "gone"}],
            "body: record 1 (token 'y'): status: must be one of 'active' or 'unregistered'",
        ),
        (
            {**NEW, "outcome": "lost"},
            "body: record 0 (token 'fcm-new'): outcome: must be one of 'delivered', ",
        ),
        (
            {**NEW, "colour": "red"},
            "body: record 0 (token 'fcm-new'): colour: is not a known field",
        ),
        (
            {**NEW, "applicationId": "00000000-0000-4000-8000-000000000000"},
            "body: record 0 (token 'fcm-new'): applicationId: no application "
            "'00000000-0000-4000-8000-000000000000' in applications.json",
        ),
        ([], "body: must be one device record (a JSON object) or a non-empty array of them"),
        ("fcm-new", "body: must be one device record"),
    ],
)
def test_a_bad_device_is_a_400_naming_the_record_and_field(
    fixtures: FixtureSet, data: Any, problem: str
) -> None:
    with pytest.raises(BadRequest) as refused:
        registry.add_devices(fixtures, data)
    assert refused.value.problems[0].startswith(problem), refused.value.problems


def test_a_token_the_application_has_is_a_conflict_in_any_case(fixtures: FixtureSet) -> None:
    with pytest.raises(Conflict, match="token 'FCM-ADA-PIXEL8' is already registered"):
        registry.add_devices(fixtures, {"token": "FCM-ADA-PIXEL8", "applicationId": ANDROID_APP})
    with pytest.raises(Conflict, match=r"record 1 \(token 'fcm-new'\)"):
        registry.add_devices(fixtures, [NEW, NEW])
    # The same token in another application is another device.
    changed, _ = registry.add_devices(
        fixtures, {"token": "fcm-ada-pixel8", "applicationId": IOS_APP}
    )
    with pytest.raises(BadRequest, match="registered in 2 applications"):
        registry.find_device(changed, "fcm-ada-pixel8", None)
    assert registry.find_device(changed, "fcm-ada-pixel8", IOS_APP.upper()).applicationId == IOS_APP


def test_a_change_keeps_the_devices_place(fixtures: FixtureSet) -> None:
    changed, device = registry.change_device(
        fixtures, "fcm-ayse-redmi", None, {"outcome": "throttled", "contactKey": None}
    )
    assert (device.outcome, device.contactKey) == ("throttled", None)
    assert tokens(changed) == tokens(fixtures)
    assert changed.devices[2] is device


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"token": "x"}, "token: cannot be changed; PATCH takes status, engaged, language"),
        ({"deviceType": "Watch"}, "deviceType: cannot be changed"),
        ({"engaged": "yes"}, "engaged: must be a boolean"),
        ({}, "body: must be a JSON object of the fields to change"),
    ],
)
def test_a_bad_change_is_a_400(fixtures: FixtureSet, data: Any, problem: str) -> None:
    with pytest.raises(BadRequest) as refused:
        registry.change_device(fixtures, "fcm-ayse-redmi", None, data)
    assert refused.value.problems[0].startswith(problem), refused.value.problems


def test_an_unknown_device_is_a_404(fixtures: FixtureSet) -> None:
    with pytest.raises(NotFound, match="No device with token 'nope'"):
        registry.remove_device(fixtures, "nope", None)
    with pytest.raises(NotFound, match="in application"):
        registry.find_device(fixtures, "fcm-ada-pixel8", IOS_APP)


def test_pages_stay_in_place_while_devices_come_and_go(fixtures: FixtureSet) -> None:
    query = {"applicationId": ANDROID_APP.upper()}
    first = registry.list_devices(fixtures, query, None, 3)
    listed = [d["token"] for d in first.items]
    assert listed == ["fcm-ada-pixel8", "fcm-mehmet-galaxy", "fcm-ayse-redmi"]
    changed, _ = registry.remove_device(fixtures, "fcm-mehmet-galaxy", None)
    changed, _ = registry.add_devices(changed, NEW)
    assert first.next_cursor is not None
    rest = registry.list_devices(changed, query, int(first.next_cursor), 10)
    assert [d["token"] for d in rest.items] == [
        "fcm-jonas-tab",
        "fcm-zeynep-a54",
        "fcm-old-handset",
        "fcm-anonymous-1",
        "fcm-new",
    ]
    assert rest.next_cursor is None


def test_clean_up_and_engagement_change_only_what_they_name(fixtures: FixtureSet) -> None:
    pair = {(ANDROID_APP, "fcm-ada-pixel8")}
    cleaned = registry.unregister_devices(fixtures, pair)
    assert cleaned is not None
    assert registry.find_device(cleaned, "fcm-ada-pixel8", None).status == "unregistered"
    assert registry.unregister_devices(cleaned, pair) is None  # nothing left to change
    assert registry.engage_device(fixtures, ANDROID_APP, "fcm-ada-pixel8") is None  # engaged
    engaged = registry.engage_device(fixtures, ANDROID_APP.upper(), "fcm-ayse-redmi")
    assert engaged is not None
    assert registry.find_device(engaged, "fcm-ayse-redmi", None).engaged


def test_a_clean_up_keeps_every_place_and_later_changes_number_as_before(
    fixtures: FixtureSet,
) -> None:
    # A clean-up hands the numbers on without renumbering; the next change numbers again.
    cleaned = registry.unregister_devices(fixtures, {(ANDROID_APP, "fcm-ada-pixel8")})
    assert cleaned is not None
    assert cleaned.device_numbers == fixtures.device_numbers
    assert cleaned.contact_numbers == fixtures.contact_numbers
    changed, _ = registry.add_devices(cleaned, NEW)
    removed, _ = registry.remove_device(changed, "fcm-mehmet-galaxy", None)
    new, gone = f"{ANDROID_APP}/fcm-new", f"{ANDROID_APP}/fcm-mehmet-galaxy"
    assert removed.device_numbers[new] > max(fixtures.device_numbers.values())
    assert gone not in removed.device_numbers
    kept = {k: v for k, v in fixtures.device_numbers.items() if k != gone}
    assert {k: v for k, v in removed.device_numbers.items() if k != new} == kept
    listed = registry.list_devices(removed, {"applicationId": ANDROID_APP}, None, 3).items
    assert [d["token"] for d in listed] == ["fcm-ada-pixel8", "fcm-ayse-redmi", "fcm-jonas-tab"]


def test_contacts_are_added_changed_and_removed_by_table(fixtures: FixtureSet) -> None:
    changed, [added] = registry.add_contacts(
        fixtures, MASTER_TABLE.upper(), {"contactKey": "c-100", "first_name": "Zed"}
    )
    assert added == {
        "tableId": MASTER_TABLE,
        "contactKey": "c-100",
        "fields": {"first_name": "Zed"},
    }
    with pytest.raises(Conflict, match="contactKey 'c-100' is already in table"):
        registry.add_contacts(changed, MASTER_TABLE, {"contactKey": "c-100"})
    changed, edited = registry.change_contact(
        changed, MASTER_TABLE, "c-100", {"city": "Izmir", "first_name": None}
    )
    assert edited["fields"] == {"city": "Izmir"}
    with pytest.raises(BadRequest, match="contactKey: names the contact"):
        registry.change_contact(changed, MASTER_TABLE, "c-100", {"contactKey": "c-101"})
    # Removing a contact takes it out of its table's segments too.
    changed, removed = registry.remove_contact(changed, MASTER_TABLE, "c-001")
    assert removed["contactKey"] == "c-001"
    assert "c-001" not in changed.segments_by_id[VIP_SEGMENT].contactKeys
    assert "c-001" in fixtures.segments_by_id[VIP_SEGMENT].contactKeys
    with pytest.raises(NotFound, match="No table with id"):
        registry.add_contacts(fixtures, ANDROID_APP, {"contactKey": "x"})
    with pytest.raises(BadRequest, match=r"record 0: contactKey: is required"):
        registry.add_contacts(fixtures, MASTER_TABLE, {"first_name": "No key"})
