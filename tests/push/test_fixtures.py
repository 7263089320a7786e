"""Fixture loading: the bundled demo data, missing files, errors naming file, record, field."""

import json
from pathlib import Path

import pytest

from emulator.push.fixtures import FixtureError, FixtureFolder, load_fixtures, parse_fixtures
from emulator.settings import BUNDLED_FIXTURES


def test_the_bundled_fixtures_are_the_documented_demo_data() -> None:
    fixtures = load_fixtures(BUNDLED_FIXTURES)
    demo = fixtures.users_by_key["demo-user"]
    assert demo.password == "demo-password"
    assert "demo-token" in demo.tokens
    assert "push" in demo.permissions
    assert "push" not in fixtures.users_by_key["readonly-user"].permissions
    assert sorted(a.platform for a in fixtures.applications) == ["android", "ios", "web"]
    multi = [t for t in fixtures.templates if t.multiLangContent is not None]
    assert [c.language for c in multi[0].multiLangContent.contents] == ["EN", "TR", "DE"]  # type: ignore[union-attr]
    assert len(fixtures.tables[0].contacts) >= 10
    assert len(fixtures.segments) == 2
    assert 15 <= len(fixtures.devices) <= 25
    assert any(d.engaged for d in fixtures.devices)
    assert [d.status for d in fixtures.devices].count("unregistered") == 1


def test_a_missing_file_is_an_empty_list(tmp_path: Path) -> None:
    (tmp_path / "applications.json").write_text("[]")
    fixtures = load_fixtures(tmp_path)
    assert fixtures.devices == []
    assert fixtures.api_users == []


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="fixtures folder not found"):
        load_fixtures(tmp_path / "nope")


def test_invalid_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "devices.json").write_text("[{")
    with pytest.raises(FixtureError, match=r"devices\.json: not valid JSON"):
        load_fixtures(tmp_path)


def test_a_bad_record_names_file_record_and_field(tmp_path: Path) -> None:
    apps = [{"id": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b", "name": "A", "platform": "android"}]
    devices = [
        {"token": "ok", "applicationId": apps[0]["id"]},
        {"token": "bad", "applicationId": apps[0]["id"], "status": "sleeping"},
    ]
    (tmp_path / "applications.json").write_text(json.dumps(apps))
    (tmp_path / "devices.json").write_text(json.dumps(devices))
    with pytest.raises(FixtureError) as caught:
        load_fixtures(tmp_path)
    message = str(caught.value)
    assert "devices.json: record 1 (token 'bad'): status:" in message


DEEP_IFS = "{% if ($Contact.a) { %}" * 17 + "x" + "{% } %}" * 17
DEEP_JSON: object = "leaf"
for _ in range(40):
    DEEP_JSON = [DEEP_JSON]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {"devices": [{"token": "t", "applicationId": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"}]},
            "devices.json: record 0 (token 't'): applicationId: no application",
        ),
        (
            {
                "segments": [
                    {
                        "id": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
                        "name": "s",
                        "tableId": "0d4e8b2a-6c1f-4a3e-9b5d-7f2a4c6e8b0d",
                    }
                ]
            },
            "segments.json: record 0 (id 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d'): tableId: no",
        ),
        (
            {"api_users": [{"userkey": "a", "password": "p"}, {"userkey": "a", "password": "q"}]},
            "api_users.json: record 1: userkey 'a' repeats",
        ),
        (
            {"templates": [{"id": "7a1e5c3b-2d4f-4a6b-8c9d-0e1f2a3b4c5d", "name": "t"}]},
            "templates.json: record 0 (id '7a1e5c3b-2d4f-4a6b-8c9d-0e1f2a3b4c5d'): needs exactly",
        ),
        (
            {"applications": [{"id": "x", "name": "A", "platform": "android"}]},
            "applications.json: record 0 (id 'x'): id: must be a GUID",
        ),
        (
            {
                "templates": [
                    {
                        "id": "7a1e5c3b-2d4f-4a6b-8c9d-0e1f2a3b4c5d",
                        "name": "t",
                        "content": {"title": DEEP_IFS},
                    }
                ]
            },
            "templates.json: record 0 (id '7a1e5c3b-2d4f-4a6b-8c9d-0e1f2a3b4c5d'): "
            "content.title: {% if %} blocks nest deeper than 16 levels",
        ),
        (
            {
                "tables": [
                    {
                        "id": "0d4e8b2a-6c1f-4a3e-9b5d-7f2a4c6e8b0d",
                        "name": "t",
                        "contacts": [{"contactKey": "c", "note": DEEP_JSON}],
                    }
                ]
            },
            "tables.json: record 0 (id '0d4e8b2a-6c1f-4a3e-9b5d-7f2a4c6e8b0d'): "
            "contacts[0].note" + "[0]" * 29 + ": nests deeper than 32 levels",
        ),
        ({"gadgets": []}, "unknown fixture file(s) gadgets"),
        ({"devices": {"token": "t"}}, "devices.json: must be a JSON array"),
    ],
)
def test_rules_across_files_are_checked(data: dict[str, object], expected: str) -> None:
    with pytest.raises(FixtureError, match=None) as caught:
        parse_fixtures(data, "fx")
    assert expected in str(caught.value)


def test_fixtures_round_trip_through_their_json_form() -> None:
    fixtures = load_fixtures(BUNDLED_FIXTURES)
    again = parse_fixtures(fixtures.to_json(), "round-trip")
    assert again.to_json() == fixtures.to_json()


def test_a_folder_is_validated_again_only_when_a_file_changed(fixtures_dir: Path) -> None:
    folder = FixtureFolder(fixtures_dir)
    first = folder.load()
    assert folder.load() is first  # unchanged files: the same set, not a re-validation
    users = json.loads((fixtures_dir / "api_users.json").read_text())
    users[0]["password"] = "changed"
    (fixtures_dir / "api_users.json").write_text(json.dumps(users))
    changed = folder.load()
    assert changed is not first
    assert changed.users_by_key["demo-user"].password == "changed"
    (fixtures_dir / "templates.json").unlink()
    assert folder.load().templates == []


def test_a_folder_that_stops_loading_raises_and_the_next_good_load_recovers(
    fixtures_dir: Path,
) -> None:
    folder = FixtureFolder(fixtures_dir)
    good = folder.load()
    original = (fixtures_dir / "devices.json").read_bytes()
    (fixtures_dir / "devices.json").write_text("[{")
    with pytest.raises(FixtureError, match=r"devices\.json: not valid JSON"):
        folder.load()
    (fixtures_dir / "devices.json").write_bytes(original)
    assert folder.load().devices == good.devices
