"""The journal: every /rest request recorded with its answer, secrets masked, bodies capped."""

import pytest
from fastapi.testclient import TestClient

from emulator.middleware.journal import (
    JOURNAL_HEADER_VALUE_CAP,
    JOURNAL_HEADERS_CAP,
    error_message,
    mask_body,
    mask_headers,
)
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


# Secrets reach the journal through four ways in: a body's keys, whatever their spelling or
# value, query parameters, and headers. Each is masked.


@pytest.mark.parametrize(
    ("body", "hidden"),
    [
        (b'{"userkey": "u", "pass\\u0077ord": "hunter2"}', "hunter2"),
        (b'{"password": 12345678}', "12345678"),
        (b'{"token": {"value": "deep-secret"}}', "deep-secret"),
        (b'{"client_secret": ["s-1", "s-2"]}', "s-1"),
        (b'{"x": [{"ApiKey": true, "refreshToken": "r-7"}]}', "r-7"),
    ],
    ids=["escaped-key", "number", "object", "array", "nested-camel-case"],
)
def test_mask_body_judges_parsed_keys_and_masks_any_value(body: bytes, hidden: str) -> None:
    masked = mask_body(body)
    assert hidden not in masked
    assert "********" in masked


def test_a_password_sent_with_an_escaped_key_is_masked_in_the_journal(client: TestClient) -> None:
    client.post(
        "/rest/login",
        content=b'{"userkey": "demo-user", "pass\\u0077ord": "demo-password"}',
        headers={"Content-Type": "application/json"},
    )
    [row] = journal(client)
    assert "demo-password" not in row.body
    assert row.body == '{"userkey":"demo-user","password":"********"}'


def test_secret_looking_query_parameters_are_masked(client: TestClient) -> None:
    secret = "q-secret-0123456789"
    client.get(
        "/rest/push/sendInstant",
        params={"access_token": secret, "token": secret, "password": secret, "trackingId": "t"},
    )
    [row] = journal(client)
    assert secret not in row.query
    assert row.query.count("q-se") == 3  # enough to tell two secrets apart, never to use one
    assert "trackingId=t" in row.query


@pytest.mark.parametrize(
    "name", ["x-access-token", "x-api-key", "x-auth-token", "x-client-secret", "cookie"]
)
def test_secret_looking_headers_are_masked(client: TestClient, name: str) -> None:
    secret = "h-secret-0123456789"
    client.post("/rest/push/sendInstant", json=inline_send(), headers={**DEMO, name: secret})
    [row] = journal(client)
    assert secret not in row.headers[name]
    assert row.headers["content-type"] == "application/json"  # other headers as they were


def test_the_journal_keeps_a_capped_copy_of_large_headers(client: TestClient) -> None:
    headers = {f"x-big-{i}": "v" * 5000 for i in range(10)}  # 50 KB, under the request cap
    client.post("/rest/push/sendInstant", json=inline_send(), headers={**DEMO, **headers})
    [row] = journal(client)
    kept = sum(len(k) + len(v) for k, v in row.headers.items())
    assert kept <= JOURNAL_HEADERS_CAP + 100
    assert row.headers["x-big-0"].startswith("v" * JOURNAL_HEADER_VALUE_CAP + "… [")
    assert row.headers["…"].endswith("more header(s) not kept")


def test_a_body_refused_before_it_was_read_is_journaled(client: TestClient) -> None:
    # A declared Content-Length over the cap is a 413 at once; the journal still reads
    # (and keeps) the start of the body before that answer goes out.
    body = b'{"content": {"title": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    response = client.post("/rest/push/sendInstant", content=body, headers=DEMO)
    assert response.status_code == 413
    [row] = journal(client)
    assert row.status == 413
    assert row.body.startswith('{"content": {"title": "xxx')
    assert row.body_truncated
