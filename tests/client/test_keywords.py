"""Keyword filters: the API's names, and a TypeError for a typo before any request is made."""

from collections.abc import Callable

import httpx
import pytest

from emulator.client import EmulatorClient


def never_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a request was made: {request.url}")


@pytest.fixture
def offline() -> EmulatorClient:
    return EmulatorClient("http://127.0.0.1:9", transport=httpx.MockTransport(never_called))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda c: c.wait_for_sends(trackingid="x"),
            "wait_for_sends() got an unknown filter 'trackingid'; did you mean 'tracking_id'?",
        ),
        (
            lambda c: c.sends(contact="c-001"),
            "sends() got an unknown filter 'contact'; did you mean 'contact_key'?",
        ),
        (lambda c: c.requests(segment_id="x"), "requests() got an unknown filter 'segment_id'"),
        (lambda c: c.last_send(limit=3), "last_send() got an unknown filter 'limit'"),
        (lambda c: list(c.export(cursor="3")), "export() got an unknown filter 'cursor'"),
        (
            lambda c: next(c.events(kind="send")),
            "events() got an unknown filter 'kind'; did you mean 'kinds'?",
        ),
    ],
)
def test_an_unknown_keyword_is_a_type_error_before_any_call(
    offline: EmulatorClient, call: Callable[[EmulatorClient], object], message: str
) -> None:
    with pytest.raises(TypeError) as raised:
        call(offline)
    assert str(raised.value).startswith(message)
    assert "Known: " in str(raised.value)


def test_snake_case_and_the_apis_camel_case_both_work() -> None:
    seen: list[httpx.QueryParams] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.params)
        return httpx.Response(200, json={"items": [], "nextCursor": None})

    client = EmulatorClient("http://emulator", transport=httpx.MockTransport(answer))
    client.sends(contact_key="c-001", applicationId="A")
    assert seen[0]["contactKey"] == "c-001"
    assert seen[0]["applicationId"] == "A"
