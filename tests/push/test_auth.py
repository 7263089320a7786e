"""Login, tokens, the allowlist, permissions, and the order in which refusals come."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.clock import Clock
from emulator.errors import Forbidden, IpNotAllowed, NotAuthenticated
from emulator.ids import IdGenerator
from emulator.push import auth
from emulator.push.fixtures import load_fixtures, parse_fixtures
from emulator.settings import BUNDLED_FIXTURES, Settings
from tests.support.app import edit_fixture, runtime_of
from tests.support.demo import DEMO, inline_send
from tests.support.stored import stored_sends

LOGIN = {"userkey": "demo-user", "password": "demo-password"}


def test_login_returns_a_bearer_token_that_sends(client: TestClient) -> None:
    response = client.post("/rest/login", json=LOGIN)
    assert response.status_code == 200
    body = response.json()
    assert body["expires_in"] == 3600
    assert body["token_type"] == "Bearer"
    token = body["access_token"]
    sent = client.post(
        "/rest/push/sendInstant", json=inline_send(), headers={"Authorization": f"Bearer {token}"}
    )
    assert sent.status_code == 200


def test_the_bare_token_without_bearer_is_accepted(client: TestClient) -> None:
    token = client.post("/rest/login", json=LOGIN).json()["access_token"]
    sent = client.post(
        "/rest/push/sendInstant", json=inline_send(), headers={"Authorization": token}
    )
    assert sent.status_code == 200


@pytest.mark.parametrize(
    "credentials",
    [{"userkey": "demo-user", "password": "wrong"}, {"userkey": "nobody", "password": "x"}],
)
def test_wrong_credentials_are_a_401(client: TestClient, credentials: dict[str, str]) -> None:
    response = client.post("/rest/login", json=credentials)
    assert response.status_code == 401
    assert response.json()["code"] == 401


def test_a_login_body_without_password_is_a_400(client: TestClient) -> None:
    response = client.post("/rest/login", json={"userkey": "demo-user"})
    assert response.status_code == 400
    assert response.json()["message"] == "password: is required"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic abc"},
    ],
    ids=["none", "unknown", "empty", "other-scheme"],
)
def test_missing_or_unknown_tokens_are_a_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post("/rest/push/sendInstant", json=inline_send(), headers=headers)
    assert response.status_code == 401
    assert response.json() == {"code": 401, "message": "Not authenticated. Please re-login."}


def test_a_token_expires_after_its_ttl(client: TestClient) -> None:
    token = client.post("/rest/login", json=LOGIN).json()["access_token"]
    runtime_of(client).clock.advance(3599)
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=headers).status_code
        == 200
    )
    runtime_of(client).clock.advance(2)
    expired = client.post("/rest/push/sendInstant", json=inline_send(), headers=headers)
    assert expired.status_code == 401
    assert expired.json()["message"] == "Not authenticated. Please re-login."


def test_a_user_without_push_permission_is_a_403(client: TestClient) -> None:
    response = client.post(
        "/rest/push/sendInstant",
        json=inline_send(),
        headers={"Authorization": "Bearer readonly-token"},
    )
    assert response.status_code == 403
    assert response.json()["message"] == (
        "The operation is not allowed. Your api user is not authorized to use this api."
    )
    assert stored_sends(client) == []


def limited_demo_user(capacity: int, refill: float) -> list[dict[str, Any]]:
    """The demo user with a bucket of its own, password 'pw'."""
    return [
        {
            "userkey": "demo-user",
            "password": "pw",
            "permissions": ["push"],
            "tokens": ["demo-token"],
            "rateLimit": {"capacity": capacity, "refillPerSecond": refill},
        }
    ]


def _with_users(tmp_path: Path, fixtures_dir: Path, users: list[dict[str, Any]]) -> TestClient:
    edit_fixture(fixtures_dir, "api_users", users)
    settings = Settings(db=tmp_path / "other.db", fixtures=fixtures_dir)
    return TestClient(create_app(settings))


def test_an_address_off_the_allowlist_is_refused_before_credentials(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    users = [
        {
            "userkey": "walled",
            "password": "pw",
            "permissions": [],
            "tokens": ["walled-token"],
            "allowedIps": ["10.0.0.0/8"],
        }
    ]
    with _with_users(tmp_path, fixtures_dir, users) as client:
        # No push permission, yet the allowlist's 403 comes first and names the address.
        response = client.post(
            "/rest/push/sendInstant",
            json=inline_send(),
            headers={"Authorization": "Bearer walled-token"},
        )
        assert response.status_code == 403
        assert "testclient" in response.json()["actionResult"]
        assert "not whitelisted" in response.json()["actionResult"]
        login = client.post("/rest/login", json={"userkey": "walled", "password": "wrong"})
        assert login.status_code == 403


def test_an_allowed_address_passes_the_allowlist(tmp_path: Path, fixtures_dir: Path) -> None:
    users = [
        {
            "userkey": "walled",
            "password": "pw",
            "permissions": ["push"],
            "tokens": ["walled-token"],
            "allowedIps": ["127.0.0.0/8"],
        }
    ]
    edit_fixture(fixtures_dir, "api_users", users)
    app = create_app(Settings(db=tmp_path / "x.db", fixtures=fixtures_dir))
    with TestClient(app, client=("127.0.0.1", 40000)) as client:
        response = client.post(
            "/rest/push/sendInstant", json=inline_send(), headers={"Authorization": "walled-token"}
        )
        assert response.status_code == 200


def test_an_allowlist_entry_that_is_no_address_stops_start_up(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    users = [{"userkey": "walled", "password": "pw", "allowedIps": ["office"]}]
    edit_fixture(fixtures_dir, "api_users", users)
    with pytest.raises(
        ValueError, match=r"record 0 \(userkey 'walled'\): allowedIps\[0\]: must be an IP"
    ):
        create_app(Settings(db=tmp_path / "x.db", fixtures=fixtures_dir))


def test_the_bucket_refuses_with_429_and_retry_after_and_stores_nothing(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    users = limited_demo_user(capacity=2, refill=0.5)
    with _with_users(tmp_path, fixtures_dir, users) as client:
        runtime_of(client).clock.freeze(runtime_of(client).clock.now())
        statuses = [
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        refused = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
        assert refused.json() == {"code": 429, "message": "TooManyRequest"}
        assert refused.headers["Retry-After"] == "2"
        assert len(stored_sends(client)) == 2
        runtime_of(client).clock.advance(2)
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            == 200
        )


def test_the_bucket_comes_before_the_body(tmp_path: Path, fixtures_dir: Path) -> None:
    users = limited_demo_user(capacity=1, refill=0)
    with _with_users(tmp_path, fixtures_dir, users) as client:
        assert (
            client.post("/rest/push/sendInstant", json={"bad": 1}, headers=DEMO).status_code == 400
        )
        assert (
            client.post("/rest/push/sendInstant", json={"bad": 1}, headers=DEMO).status_code == 429
        )


def test_login_does_not_take_from_the_bucket(tmp_path: Path, fixtures_dir: Path) -> None:
    users = limited_demo_user(capacity=1, refill=0)
    with _with_users(tmp_path, fixtures_dir, users) as client:
        for _ in range(3):
            assert (
                client.post(
                    "/rest/login", json={"userkey": "demo-user", "password": "pw"}
                ).status_code
                == 200
            )
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            == 200
        )


# The functions on their own ------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer   abc ", "abc"),
        ("abc", "abc"),
        ("Bearer ", None),
        ("", None),
        (None, None),
    ],
)
def test_bearer_token_reads_the_header_both_ways(header: str | None, token: str | None) -> None:
    assert auth.bearer_token(header) == token


def test_mask_secret_never_shows_enough_to_use() -> None:
    assert auth.mask_secret("short") == "****"
    masked = auth.mask_secret("0123456789abcdef")
    assert masked == "0123…ef"


def test_issued_tokens_expire_on_the_emulators_clock() -> None:
    clock = Clock()
    clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    tokens = auth.TokenStore(60, clock, IdGenerator(seed=1))
    issued = tokens.issue("demo-user")
    assert tokens.is_live(issued)
    clock.advance(60)
    assert not tokens.is_live(issued)
    # Expired tokens still name their user (the allowlist is judged first) until replaced.
    assert tokens.lookup(issued.token) == issued
    tokens.issue("demo-user")
    assert tokens.lookup(issued.token) is None


def test_authenticate_judges_the_allowlist_before_the_token(tmp_path: Path) -> None:
    fixtures = load_fixtures(BUNDLED_FIXTURES)
    walled = fixtures.users_by_key["demo-user"].model_copy(update={"allowedIps": ["10.0.0.0/8"]})
    fixtures = parse_fixtures(
        {**fixtures.to_json(), "api_users": [walled.model_dump(exclude_none=True)]}, "test"
    )
    tokens = auth.TokenStore(60, Clock(), IdGenerator())
    with pytest.raises(IpNotAllowed):
        auth.authenticate(fixtures, tokens, "Bearer demo-token", "192.168.1.2")
    assert (
        auth.authenticate(fixtures, tokens, "Bearer demo-token", "10.1.2.3").userkey == "demo-user"
    )
    with pytest.raises(NotAuthenticated):
        auth.authenticate(fixtures, tokens, "Bearer nope", "10.1.2.3")


def test_login_and_the_push_permission() -> None:
    fixtures = load_fixtures(BUNDLED_FIXTURES)
    tokens = auth.TokenStore(60, Clock(), IdGenerator())
    issued = auth.login(fixtures, tokens, "demo-user", "demo-password", "127.0.0.1")
    user, live = auth.user_for_token(fixtures, tokens, issued.token)
    assert (user.userkey if user else None, live) == ("demo-user", True)
    with pytest.raises(NotAuthenticated, match="Invalid userkey or password"):
        auth.login(fixtures, tokens, "demo-user", "nope", "127.0.0.1")
    auth.require_push_permission(fixtures.users_by_key["demo-user"])
    with pytest.raises(Forbidden):
        auth.require_push_permission(fixtures.users_by_key["readonly-user"])


def test_a_seeded_store_never_hands_a_kept_token_to_another_user() -> None:
    # The plugin's reset keeps tokens but restarts the seeded generator: the next login
    # would draw the same token again, for whoever logs in next.
    ids = IdGenerator(seed=7)
    tokens = auth.TokenStore(3600, Clock(), ids)
    kept = tokens.issue("demo-user")
    ids.reseed(7)
    other = tokens.issue("readonly-user")
    assert other.token != kept.token
    assert tokens.lookup(kept.token) == kept
    ids.reseed(7)
    assert tokens.issue("demo-user").token == kept.token  # the same user: the same token
    ids.reseed(7)
    tokens.clear()
    assert tokens.issue("x").token == kept.token  # still reproducible from the seed
