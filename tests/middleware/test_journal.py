"""The journal: every /rest request recorded with its answer, secrets masked, bodies capped."""

import pytest
from fastapi.testclient import TestClient

from emulator.middleware.journal import error_message, mask_body, mask_headers
from tests.support.demo import DEMO, inline_send
from tests.support.stored import journal, stored_sends


def test_every_request_is_journaled_with_secrets_masked(client: TestClient) -> None:
    client.post("/rest/login", json={"userkey": "demo-user", "password": "demo-password"})
    client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    client.post("/rest/push/sendInstant", json={"content": 1}, headers=DEMO)
    client.post("/rest/push/sendInstant", json=inline_send())
    rows = journal(client)
    assert [(r.path, r.status) for r in rows] == [
        ("/rest/login", 200),
        ("/rest/push/sendInstant", 200),
        ("/rest/push/sendInstant", 400),
        ("/rest/push/sendInstant", 401),
    ]
    login, accepted, refused, anonymous = rows
    assert "demo-password" not in login.body
    assert '"password":"********"' in login.body
    assert accepted.headers["authorization"] != "Bearer demo-token"
    assert "demo-token" not in accepted.headers["authorization"]
    assert accepted.api_user == "demo-user"
    assert accepted.tracking_id == stored_sends(client)[0].tracking_id
    assert refused.error == "content: must be an object"
    assert anonymous.error == "Not authenticated. Please re-login."
    assert anonymous.api_user is None
    assert all(r.latency_ms >= 0 for r in rows)


def test_the_journal_caps_large_bodies(client: TestClient) -> None:
    client.post(
        "/rest/push/sendInstant",
        json=inline_send(content={"title": "x" * 200_000}),
        headers=DEMO,
    )
    [row] = journal(client)
    assert row.body_truncated
    assert len(row.body) == 64 * 1024
    assert len(stored_sends(client)[0].request_body) > 200_000  # the send keeps it whole


@pytest.mark.parametrize(
    ("body", "hidden"),
    [
        (b'{"userkey": "u", "password": "hunter2"}', "hunter2"),
        (b'{"nested": [{"access_token": "abc123"}]}', "abc123"),
        (b'{"Token": "t-1"}', "t-1"),
        (b'{"refresh_token": "r-9", "accessToken": "a-9"}', "a-9"),
    ],
)
def test_mask_body_hides_each_secret_value(body: bytes, hidden: str) -> None:
    masked = mask_body(body)
    assert hidden not in masked
    assert "********" in masked


def test_mask_body_leaves_bodies_without_secrets_untouched() -> None:
    body = b'{"useOnlyEngagedTokens": true, "content": {"title": "your token is here"}}'
    assert mask_body(body) == body.decode()


def test_mask_body_withholds_a_broken_body_that_names_a_secret() -> None:
    assert mask_body(b'{"password": "x"').startswith("[body withheld")


def test_mask_headers_keeps_the_scheme_and_a_hint_only() -> None:
    headers = mask_headers(
        [(b"Authorization", b"Bearer 0123456789abcdef"), (b"X-Api-Key", b"k"), (b"Accept", b"*")]
    )
    assert headers["authorization"].startswith("Bearer ")
    assert "0123456789abcdef" not in headers["authorization"]
    assert headers["x-api-key"] == "****"
    assert headers["accept"] == "*"


def test_error_message_reads_the_envelope_or_says_what_came() -> None:
    assert error_message(200, b"{}") is None
    assert error_message(403, b'{"code": 403, "message": "no", "actionResult": "ip"}') == "ip"
    assert error_message(503, b"") == "HTTP 503 with an empty body"
    assert error_message(502, b"<html>bad gateway") == "<html>bad gateway"
