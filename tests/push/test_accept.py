"""Accepting a send as a plain function: the order of its refusals, warnings, the stored row."""

import asyncio
from datetime import UTC, datetime

import pytest

from emulator.errors import BadRequest, TemplateNotFound
from emulator.push.accept import SendContext, accept_send, record_send
from emulator.push.fixtures import FixtureSet, load_fixtures
from emulator.runtime import Runtime
from emulator.settings import BUNDLED_FIXTURES
from emulator.storage.tables import QUEUED, SCHEDULED
from tests.support.demo import ANDROID_APP, IOS_APP, WEB_APP, WELCOME_TEMPLATE, payload

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)
TRACKING = "11111111-2222-4333-8444-555555555555"
TRANSACTION = "66666666-7777-4888-9999-000000000000"


@pytest.fixture(scope="module")
def fixtures() -> FixtureSet:
    return load_fixtures(BUNDLED_FIXTURES)


def context(fixtures: FixtureSet, **changes: object) -> SendContext:
    values: dict[str, object] = {
        "fixtures": fixtures,
        "strict": False,
        "now": NOW,
        "api_user": "demo-user",
        "client_ip": "127.0.0.1",
        "tracking_id": TRACKING,
        "transaction_id": TRANSACTION,
        "content_type": "application/json",
        **changes,
    }
    return SendContext(**values)  # type: ignore[arg-type]


def test_an_accepted_send_is_the_envelope_and_the_row_to_store(fixtures: FixtureSet) -> None:
    body = (
        b'{"applicationIds": ["' + ANDROID_APP.upper().encode() + b'"], "content": {"title": "Hi"}}'
    )
    accepted = accept_send(body, context(fixtures))
    assert accepted.response == {
        "code": 0,
        "message": "Successful",
        "transactionId": TRANSACTION,
        "data": {"trackingId": TRACKING},
    }
    row = accepted.row
    assert (row["status"], row["received_at"], row["api_user"]) == (QUEUED, NOW, "demo-user")
    assert row["application_ids"] == [ANDROID_APP]  # lower-cased once, here
    assert row["request_body"] == body.decode()
    assert row["content"] == {"content": {"title": "Hi"}}
    assert row["warnings"] == []


def test_no_application_ids_means_every_application_with_a_warning(fixtures: FixtureSet) -> None:
    accepted = accept_send(b'{"content": {"title": "Hi"}}', context(fixtures))
    assert sorted(accepted.row["application_ids"]) == sorted([ANDROID_APP, IOS_APP, WEB_APP])
    assert accepted.row["all_applications"] is True
    assert accepted.row["warnings"][0].startswith("applicationIds: missing or empty")


def test_a_future_schedule_is_scheduled_and_a_past_one_queued(fixtures: FixtureSet) -> None:
    later = accept_send(
        b'{"content": {"title": "Hi"}, "scheduleDate": "2030-01-02 08:00"}', context(fixtures)
    )
    assert later.row["status"] == SCHEDULED
    assert later.row["schedule_at"] == datetime(2030, 1, 2, 8, 0, tzinfo=UTC)
    past = accept_send(
        b'{"content": {"title": "Hi"}, "scheduleDate": "2029-12-31"}', context(fixtures)
    )
    assert past.row["status"] == QUEUED


def test_a_template_is_copied_and_a_missing_one_is_a_404_after_every_400(
    fixtures: FixtureSet,
) -> None:
    copied = accept_send(
        b'{"content": {"templateId": "' + WELCOME_TEMPLATE.encode() + b'"}}', context(fixtures)
    )
    assert copied.row["template_ids"] == [WELCOME_TEMPLATE]
    assert "title" in copied.row["content"]["content"]
    with pytest.raises(TemplateNotFound):
        accept_send(payload("unknown_template.json"), context(fixtures))
    # A broken rule is judged before the template is looked up.
    with pytest.raises(BadRequest):
        accept_send(
            b'{"content": {"templateId": "00000000-0000-4000-8000-000000000000"}, '
            b'"applicationIds": "x"}',
            context(fixtures),
        )


def test_the_content_type_and_strict_mode_are_judged_here(fixtures: FixtureSet) -> None:
    with pytest.raises(BadRequest, match="Content-Type: must be application/json"):
        accept_send(b"{}", context(fixtures, content_type="text/plain"))
    warned = accept_send(b'{"content": {"title": "Hi"}}', context(fixtures, content_type=None))
    assert any(w.startswith("Content-Type: no header") for w in warned.row["warnings"])
    with pytest.raises(BadRequest, match="strict mode: onlyLastEngagedTokens"):
        accept_send(payload("onlylastengagedtokens_typo.json"), context(fixtures, strict=True))


def test_record_send_stores_the_row_and_returns_its_id(runtime: Runtime) -> None:
    accepted = accept_send(b'{"content": {"title": "Hi"}}', context(runtime.fixtures))
    first = asyncio.run(record_send(runtime.writer, accepted))
    second = asyncio.run(record_send(runtime.writer, accepted))
    assert second == first + 1
