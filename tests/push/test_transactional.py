"""SendTransactionalPush as plain functions: the rules, the targets, the row, the trace locks."""

import asyncio
from datetime import UTC, datetime

import pytest

from emulator.errors import BadRequest
from emulator.push.accept import AcceptedSend, SendContext
from emulator.push.fixtures import FixtureSet, load_fixtures
from emulator.push.transactional import (
    Refusal,
    TraceLocks,
    accept_transactional,
    judge,
    parse_request,
)
from emulator.settings import BUNDLED_FIXTURES
from emulator.storage.tables import QUEUED, TRANSACTIONAL
from tests.support.demo import ANDROID_APP, WEB_APP, payload

BOOKING = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"


@pytest.fixture(scope="module")
def fixtures() -> FixtureSet:
    return load_fixtures(BUNDLED_FIXTURES)


def context(fixtures: FixtureSet, **changes: object) -> SendContext:
    counter = iter(range(1, 1000))
    values: dict[str, object] = {
        "fixtures": fixtures,
        "strict": False,
        "now": datetime(2030, 1, 1, tzinfo=UTC),
        "api_user": "demo-user",
        "client_ip": "127.0.0.1",
        "tracking_id": "unused",
        "transaction_id": "tx-1",
        "content_type": "application/json",
        "new_id": lambda: f"id-{next(counter)}",
        **changes,
    }
    return SendContext(**values)  # type: ignore[arg-type]


def accept(fixtures: FixtureSet, body: bytes, **changes: object) -> AcceptedSend | Refusal:
    ctx = context(fixtures, **changes)
    return accept_transactional(judge(body, ctx), body, ctx)


def test_the_row_of_a_contact_send_to_all(fixtures: FixtureSet) -> None:
    body = payload("transactional/contact_send_to_all.json")
    accepted = accept(fixtures, body)
    assert not isinstance(accepted, Refusal)
    row = accepted.row
    assert (row["kind"], row["status"], row["transaction_id"]) == (TRANSACTIONAL, QUEUED, "tx-1")
    assert row["targets"] == [
        {"applicationId": ANDROID_APP, "token": "fcm-ada-pixel8", "trackingId": "id-1"},
        {"applicationId": WEB_APP, "token": "web-ada-chrome", "trackingId": "id-2"},
    ]
    assert row["tracking_id"] == "id-1"
    assert row["application_ids"] == sorted([ANDROID_APP, WEB_APP])
    assert row["current"] == {"bookingId": "B-42", "date": "Friday", "name": "Ada"}
    assert accepted.response["data"] == {"trackingIds": ["id-1", "id-2"]}


def test_content_is_judged_before_the_audience(fixtures: FixtureSet) -> None:
    body = b'{"contentId": "00000000-0000-4000-8000-000000000000", "contactKey": "nobody"}'
    refused = accept(fixtures, body)
    assert refused == Refusal(11, "00000000-0000-4000-8000-000000000000 content is null")
    assert Refusal(11, "x").response("tx") == {
        "code": 11,
        "message": "x",
        "transactionId": "tx",
        "data": None,
    }


def test_the_400s_come_before_any_look_up(fixtures: FixtureSet) -> None:
    with pytest.raises(BadRequest, match="Content-Type: must be application/json"):
        judge(b"{}", context(fixtures, content_type="text/plain"))
    with pytest.raises(BadRequest) as caught:
        parse_request(b'{"token": "t"}')
    assert caught.value.problems == ["contentId: is required"]


def test_a_token_with_a_contact_key_targets_the_token_with_a_warning(fixtures: FixtureSet) -> None:
    body = (
        b'{"contentId": "' + BOOKING.encode() + b'", "token": "fcm-ada-pixel8", '
        b'"appId": "' + ANDROID_APP.encode() + b'", "contactKey": "c-002"}'
    )
    accepted = accept(fixtures, body)
    assert not isinstance(accepted, Refusal)
    assert [t["token"] for t in accepted.row["targets"]] == ["fcm-ada-pixel8"]
    assert accepted.row["warnings"][0].startswith("contactKey: given with token")


def test_custom_parameters_fill_current_and_current_wins(fixtures: FixtureSet) -> None:
    request = parse_request(payload("transactional/current_wins_over_custom_parameters.json"))
    assert request.current_values() == {"bookingId": "from-current", "date": "Sunday"}


def test_a_repeat_waits_for_the_first_call_with_its_trace_id() -> None:
    order: list[str] = []

    async def call(locks: TraceLocks, name: str, user: str, pause: float) -> None:
        async with locks.held(user, "t-1"):
            order.append(f"{name} in")
            await asyncio.sleep(pause)
            order.append(f"{name} out")

    async def main() -> TraceLocks:
        locks = TraceLocks()
        await asyncio.gather(
            call(locks, "first", "u", 0.05),
            call(locks, "repeat", "u", 0),
            call(locks, "other user", "v", 0),
        )
        return locks

    locks = asyncio.run(main())
    assert order.index("repeat in") > order.index("first out")
    assert order.index("other user in") < order.index("first out")  # another user's key
    assert locks._locks == {}  # nothing kept once no call holds a key
