"""The inbox's search box: prefixes become the sends API's filters; anything unknown is a 400."""

import pytest

from emulator.errors import BadRequest
from emulator.push.fixtures import Application, FixtureSet
from emulator.ui.search import merge, parse_search

IOS_APP = "99d9b8fb-0c62-5a85-3e43-2402554d93a5"
FIXTURES = FixtureSet(applications=[Application(id=IOS_APP, name="Shop iOS", platform="ios")])


def test_every_prefix_maps_to_its_sends_filter() -> None:
    text = (
        "contact:c-001 token:fcm-ada app:" + IOS_APP + " status:completed kind:transactional "
        "tag:booking before:2026-12-02 after:2026-12-01T10:00:00Z"
    )
    assert parse_search(text, FIXTURES) == {
        "contactKey": "c-001",
        "token": "fcm-ada",
        "applicationId": IOS_APP,
        "status": "completed",
        "kind": "transactional",
        "tag": "booking",
        "until": "2026-12-02",
        "since": "2026-12-01T10:00:00Z",
    }


def test_words_and_title_are_text_and_quotes_keep_spaces() -> None:
    assert parse_search('big title:sale "50% off"', FIXTURES) == {"q": "big sale 50% off"}
    assert parse_search('app:"shop ios" contact:"c 1"', FIXTURES) == {
        "applicationId": IOS_APP,
        "contactKey": "c 1",
    }
    assert parse_search("   ", FIXTURES) == {}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("colour:red", "search: unknown prefix 'colour:'; use one of title:, contact:"),
        ("https://shop.example.com", "search: unknown prefix 'https:'"),
        ("tag:a tag:b", "search: tag: given twice"),
        ("contact:", "search: contact: needs a value"),
        ("app:Nope", "search: app: no application is named 'Nope' (known: Shop iOS)"),
        ("before:yesterday", "search: before:: must be an ISO 8601 date-time, got 'yesterday'"),
    ],
)
def test_what_cannot_be_read_is_a_400_naming_it(text: str, problem: str) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_search(text, FIXTURES)
    assert raised.value.problems[0].startswith(problem)


def test_a_filter_chosen_in_a_select_and_in_the_search_is_a_400() -> None:
    assert merge({"status": "Queued", "kind": ""}, {"q": "x"}) == {"status": "Queued", "q": "x"}
    with pytest.raises(BadRequest, match="search: status: is also chosen in the status filter"):
        merge({"status": "Queued"}, {"status": "Completed"})
