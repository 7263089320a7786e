"""The request rules as pure functions: GUIDs, schedule formats, content and language rules."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from emulator.bodies import describe_errors
from emulator.push.contract import (
    SendInstantRequest,
    is_guid,
    parse_schedule_date,
    unknown_fields,
)


@pytest.mark.parametrize(
    "value",
    ["99d9b8fb-0c62-5a85-3e43-2402554d93a5", "3F1C2A9E-7B4D-4E21-9A0B-5D6E7F809A1B"],
)
def test_guids_of_any_version_and_case_are_accepted(value: str) -> None:
    assert is_guid(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "99d9b8fb0c625a853e432402554d93a5",
        "99d9b8fb-0c62-5a85-3e43-2402554d93a",
        "{99d9b8fb-0c62-5a85-3e43-2402554d93a5}",
        "zzzzzzzz-0c62-5a85-3e43-2402554d93a5",
    ],
)
def test_malformed_guids_are_refused(value: str) -> None:
    assert not is_guid(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-01", datetime(2026, 12, 1, tzinfo=UTC)),
        ("2026-12-01 10:30", datetime(2026, 12, 1, 10, 30, tzinfo=UTC)),
        ("2026-12-01T10:30", datetime(2026, 12, 1, 10, 30, tzinfo=UTC)),
        ("2026-12-01 10:30:15", datetime(2026, 12, 1, 10, 30, 15, tzinfo=UTC)),
        ("2026-12-01T10:30:15", datetime(2026, 12, 1, 10, 30, 15, tzinfo=UTC)),
        ("2026-12-01T10:30:15.5", datetime(2026, 12, 1, 10, 30, 15, 500000, tzinfo=UTC)),
        ("2026-12-01 10:30:15.25", datetime(2026, 12, 1, 10, 30, 15, 250000, tzinfo=UTC)),
        ("2026-12-01T10:30:15.123", datetime(2026, 12, 1, 10, 30, 15, 123000, tzinfo=UTC)),
        ("2026-12-01T10:30:15Z", datetime(2026, 12, 1, 10, 30, 15, tzinfo=UTC)),
        ("2026-12-01T10:30:15.123Z", datetime(2026, 12, 1, 10, 30, 15, 123000, tzinfo=UTC)),
    ],
)
def test_every_documented_schedule_format_parses_as_utc(text: str, expected: datetime) -> None:
    assert parse_schedule_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-01 10:30Z",
        "01.12.2026",
        "2026-12-01T10:30:15+03:00",
        "2026-12-01T10:30:15.1234",
        "2026-02-30",
        "2026-12-01 24:00",
        "tomorrow",
    ],
)
def test_other_schedule_dates_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="must be"):
        parse_schedule_date(text)


def _errors(data: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        SendInstantRequest.model_validate(data)
    return describe_errors(caught.value)


def test_errors_name_the_field_path_and_the_rule() -> None:
    errors = _errors(
        {"multiLangContent": {"defaultLanguage": "EN", "contents": [{"language": 5, "title": "x"}]}}
    )
    assert "multiLangContent.contents[0].language: must be a string" in errors


def test_a_missing_required_field_is_named() -> None:
    errors = _errors({"multiLangContent": {"contents": [{"language": "EN", "title": "x"}]}})
    assert "multiLangContent.defaultLanguage: is required" in errors


def test_unknown_fields_are_found_at_every_level() -> None:
    request = SendInstantRequest.model_validate(
        {
            "priority": 1,
            "multiLangContent": {
                "defaultLanguage": "EN",
                "extra": True,
                "contents": [{"language": "EN", "title": "x", "colour": "red"}],
            },
        }
    )
    assert unknown_fields(request) == [
        "priority",
        "multiLangContent.extra",
        "multiLangContent.contents[0].colour",
    ]


def test_language_entry_falls_back_to_the_default_case_insensitively() -> None:
    request = SendInstantRequest.model_validate(
        {
            "multiLangContent": {
                "defaultLanguage": "en",
                "contents": [
                    {"language": "EN", "title": "Hi"},
                    {"language": "tr", "title": "Selam"},
                ],
            }
        }
    )
    assert request.multiLangContent is not None
    assert request.multiLangContent.entry_for("TR").title == "Selam"
    assert request.multiLangContent.entry_for("fr").title == "Hi"
    assert request.multiLangContent.entry_for(None).title == "Hi"
