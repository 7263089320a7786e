"""The /_emulator control routes: faults, rate limits, the clock and the seed."""

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from emulator.app import create_app
from emulator.settings import Settings
from emulator.storage.tables import COMPLETED, SCHEDULED
from tests.support.app import runtime_of
from tests.support.demo import DEMO, inline_send
from tests.support.stored import journal, stored_sends

LOGIN = {"userkey": "demo-user", "password": "demo-password"}
NEW_YEAR = datetime(2030, 1, 1, tzinfo=UTC)


def send(client: TestClient, headers: dict[str, str] = DEMO, **extra: Any) -> int:
    response = client.post("/rest/push/sendInstant", json=inline_send(**extra), headers=headers)
    return response.status_code


def freeze(client: TestClient, at: str = "2030-01-01T00:00:00Z") -> None:
    response = client.put("/_emulator/clock", json={"mode": "frozen", "at": at})
    assert response.status_code == 200, response.text


# Faults ---------------------------------------------------------------------------------


def test_faults_are_off_by_default(client: TestClient) -> None:
    assert client.get("/_emulator/faults").json() == []


def test_put_replaces_the_rules_and_get_shows_their_state(client: TestClient) -> None:
    rules = [
        {"name": "503 once", "action": {"type": "status", "status": 503}, "trigger": {"times": 1}}
    ]
    response = client.put("/_emulator/faults", json=rules)
    assert response.status_code == 200
    [shown] = response.json()
    assert shown == {
        "id": shown["id"],
        "rule": rules[0],
        "fired": 0,
        "remaining": 1,
        "expiresAt": None,
        "active": True,
    }
    assert send(client) == 503
    [state] = client.get("/_emulator/faults").json()
    assert (state["fired"], state["remaining"], state["active"]) == (1, 0, False)
    replaced = client.put("/_emulator/faults", json=[{"action": {"type": "status", "status": 502}}])
    assert [s["rule"]["action"]["status"] for s in replaced.json()] == [502]


def test_post_adds_one_rule_and_the_others_keep_their_counters(client: TestClient) -> None:
    client.put(
        "/_emulator/faults",
        json=[{"action": {"type": "status", "status": 503}, "trigger": {"times": 2}}],
    )
    assert send(client) == 503  # one of its two used
    added = client.post(
        "/_emulator/faults", json={"name": "slow", "action": {"type": "latency", "ms": 1}}
    )
    assert added.status_code == 200
    assert added.json()["rule"]["name"] == "slow"
    first, second = client.get("/_emulator/faults").json()
    assert (first["remaining"], first["fired"]) == (1, 1)  # not restarted by the addition
    assert second["id"] == added.json()["id"]
    assert send(client) == 503
    assert send(client) == 200  # the first rule is used up; the latency alone lets it through


def test_delete_by_id_removes_only_that_rule(client: TestClient) -> None:
    client.put(
        "/_emulator/faults",
        json=[
            {"name": "a", "action": {"type": "latency", "ms": 1}},
            {"name": "b", "action": {"type": "status", "status": 502}, "trigger": {"times": 3}},
        ],
    )
    assert send(client) == 502
    a, b = client.get("/_emulator/faults").json()
    left = client.delete(f"/_emulator/faults/{a['id']}")
    assert [(s["id"], s["remaining"]) for s in left.json()] == [(b["id"], 2)]
    assert send(client) == 502
    assert journal(client)[-1].fault == "rules[0] 'b': status 502"  # labels follow the list
    missing = client.delete(f"/_emulator/faults/{a['id']}")
    assert missing.status_code == 404
    assert missing.json()["message"] == f"No fault rule with id {a['id']}."


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([{"action": {"type": "drop"}}], "body: must be a fault rule (a JSON object)"),
        ({"action": {"type": "status", "status": 418}}, "action.status: must be one of 401"),
        ({"action": {"type": "drop"}, "when": {}}, "when: is not a known field"),
    ],
)
def test_a_bad_added_rule_is_a_400_and_nothing_changes(
    client: TestClient, body: Any, problem: str
) -> None:
    response = client.post("/_emulator/faults", json=body)
    assert response.status_code == 400
    assert response.json()["errors"][0].startswith(problem)
    assert client.get("/_emulator/faults").json() == []


@pytest.mark.parametrize("off", ["delete", "empty"])
def test_delete_or_an_empty_list_turns_faults_off(client: TestClient, off: str) -> None:
    client.put("/_emulator/faults", json=[{"action": {"type": "status", "status": 500}}])
    assert send(client) == 500
    if off == "delete":
        assert client.delete("/_emulator/faults").json() == []
    else:
        assert client.put("/_emulator/faults", json=[]).json() == []
    assert client.get("/_emulator/faults").json() == []
    assert send(client) == 200


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([{"action": {"type": "status", "status": 418}}], "[0].action.status: must be one of"),
        (
            [{"action": {"type": "drop"}, "trigger": {"probability": 2}}],
            "[0].trigger.probability: must be at most 1",
        ),
        ([{"action": {"type": "latency", "ms": 600_000}}], "[0].action.ms: must be at most 60000"),
        ([{"action": {"type": "teleport"}}], "[0].action.type: must be one of status, latency"),
        ({"action": {"type": "drop"}}, "body: must be an array"),
        (
            [{"action": {"type": "drop"}, "trigger": {"seed": 2**63}}],
            "[0].trigger.seed: must be at most 9223372036854775807",
        ),
        (None, "body: is required"),
    ],
)
def test_bad_rules_are_a_400_naming_the_field_and_keep_the_old_rules(
    client: TestClient, body: Any, problem: str
) -> None:
    client.put("/_emulator/faults", json=[{"action": {"type": "status", "status": 502}}])
    response = client.put("/_emulator/faults", content=b"" if body is None else None, json=body)
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert response.json()["message"].startswith(problem)
    assert len(client.get("/_emulator/faults").json()) == 1


def test_control_routes_need_the_admin_token_when_one_is_set(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, admin_token=SecretStr("s3"))
    with TestClient(create_app(settings)) as client:
        for method, path in [
            ("GET", "/_emulator/faults"),
            ("PUT", "/_emulator/rate-limits"),
            ("POST", "/_emulator/clock/advance"),
            ("PUT", "/_emulator/seed"),
        ]:
            assert client.request(method, path, json={}).status_code == 401
            assert client.request(method, path, json={}, headers=DEMO).status_code == 401
        ok = client.get("/_emulator/faults", headers={"Authorization": "Bearer s3"})
        assert ok.status_code == 200


def test_control_routes_are_not_journaled(client: TestClient) -> None:
    client.put("/_emulator/faults", json=[])
    client.get("/_emulator/clock")
    assert journal(client) == []


# Rate limits ----------------------------------------------------------------------------


def test_rate_limits_show_the_settings_and_fixture_overrides(client: TestClient) -> None:
    assert client.get("/_emulator/rate-limits").json() == {
        "default": {"capacity": 30, "refillPerSecond": 30.0},
        "users": {},
    }


def test_new_rate_limits_apply_at_once_and_say_when_the_next_token_comes(
    client: TestClient,
) -> None:
    freeze(client)
    body = {
        "default": {"capacity": 50, "refillPerSecond": 0},
        "users": {"demo-user": {"capacity": 2, "refillPerSecond": 0.25}},
    }
    response = client.put("/_emulator/rate-limits", json=body)
    assert response.status_code == 200
    assert response.json() == body
    assert [send(client) for _ in range(3)] == [200, 200, 429]
    refused = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    assert refused.headers["Retry-After"] == "4"
    # The bucket refills on the emulator's clock: no sleeping.
    client.post("/_emulator/clock/advance", json={"seconds": 3.9})
    assert send(client) == 429
    client.post("/_emulator/clock/advance", json={"seconds": 0.1})
    assert send(client) == 200
    assert send(client) == 429


def test_a_put_without_default_keeps_it_and_replaces_the_users(client: TestClient) -> None:
    client.put(
        "/_emulator/rate-limits", json={"users": {"x": {"capacity": 1, "refillPerSecond": 0}}}
    )
    response = client.put("/_emulator/rate-limits", json={"users": {}})
    assert response.json() == {"default": {"capacity": 30, "refillPerSecond": 30.0}, "users": {}}


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"default": {"capacity": 0, "refillPerSecond": 1}}, "default.capacity"),
        ({"default": {"capacity": 1, "refillPerSecond": -1}}, "default.refillPerSecond"),
        ({"users": {"u": {"capacity": 1}}}, "users.u.refillPerSecond: is required"),
        ({"users": {"u": {"capacity": "1", "refillPerSecond": 1}}}, "users.u.capacity"),
        ({"limits": {}}, "limits"),
    ],
)
def test_bad_rate_limits_are_a_400_naming_the_field(
    client: TestClient, body: dict[str, Any], problem: str
) -> None:
    response = client.put("/_emulator/rate-limits", json=body)
    assert response.status_code == 400
    assert response.json()["message"].startswith(problem)


# The clock ------------------------------------------------------------------------------


def test_the_clock_is_real_by_default_and_can_be_frozen_offset_and_advanced(
    client: TestClient,
) -> None:
    assert client.get("/_emulator/clock").json()["mode"] == "real"
    frozen = client.put("/_emulator/clock", json={"mode": "frozen", "at": "2030-01-01T00:00:00Z"})
    assert frozen.json() == {
        "mode": "frozen",
        "now": "2030-01-01T00:00:00+00:00",
        "offsetSeconds": 0.0,
    }
    advanced = client.post("/_emulator/clock/advance", json={"seconds": 90})
    assert advanced.json()["now"] == "2030-01-01T00:01:30+00:00"
    # No zone given: UTC, as the contract's dates are.
    naive = client.put("/_emulator/clock", json={"mode": "frozen", "at": "2030-06-01T12:00:00"})
    assert naive.json()["now"] == "2030-06-01T12:00:00+00:00"
    offset = client.put("/_emulator/clock", json={"mode": "offset", "offsetSeconds": 86400})
    assert offset.json()["mode"] == "offset"
    assert offset.json()["offsetSeconds"] == 86400
    now = datetime.fromisoformat(offset.json()["now"])
    assert (now - datetime.now(UTC)).total_seconds() > 86000
    assert client.put("/_emulator/clock", json={"mode": "real"}).json()["offsetSeconds"] == 0


def test_clock_routes_go_through_the_clock_so_listeners_hear(client: TestClient) -> None:
    heard: list[float] = []
    clock = runtime_of(client).clock
    clock.on_change(lambda: heard.append(clock.timestamp()))
    freeze(client)
    client.post("/_emulator/clock/advance", json={"seconds": 60})
    client.put("/_emulator/clock", json={"mode": "real"})
    assert heard[:2] == [NEW_YEAR.timestamp(), NEW_YEAR.timestamp() + 60]
    assert len(heard) == 3


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"mode": "paused"}, "mode"),
        ({"mode": "frozen", "at": "yesterday"}, "at"),
        ({"mode": "offset"}, "offsetSeconds: is required with mode 'offset'"),
        ({"mode": "real", "at": "2030-01-01T00:00:00Z"}, "at: only goes with mode 'frozen'"),
        # Year 0 once in UTC: it was accepted, and then every /rest request was a 500.
        ({"mode": "frozen", "at": "0001-01-01T00:00:00+14:00"}, "at: the clock must stay between"),
        ({"mode": "frozen", "at": "1969-12-31T23:59:59Z"}, "at: the clock must stay between"),
        ({"mode": "frozen", "at": "9999-12-31T00:00:00Z"}, "at: the clock must stay between"),
        ({"mode": "offset", "offsetSeconds": -4e9}, "offsetSeconds: must be at least"),
        ({"mode": "offset", "offsetSeconds": -2e9}, "offsetSeconds: the clock must stay between"),
    ],
)
def test_bad_clock_settings_are_a_400_naming_the_field(
    client: TestClient, body: dict[str, Any], problem: str
) -> None:
    response = client.put("/_emulator/clock", json=body)
    assert response.status_code == 400
    assert problem in response.json()["message"]


@pytest.mark.parametrize("seconds", [-1, "10", None])
def test_advance_needs_a_non_negative_number_of_seconds(client: TestClient, seconds: Any) -> None:
    response = client.post("/_emulator/clock/advance", json={"seconds": seconds})
    assert response.status_code == 400
    assert response.json()["message"].startswith("seconds")


def test_advancing_past_the_clock_range_is_a_400_and_leaves_the_clock_as_it_was(
    client: TestClient,
) -> None:
    client.put("/_emulator/clock", json={"mode": "frozen", "at": "9998-12-31T00:00:00Z"})
    for _ in range(2):
        response = client.post("/_emulator/clock/advance", json={"seconds": 3e9})
        assert response.status_code == 400
        assert response.json()["message"] == (
            "seconds: the clock must stay between 1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z"
        )
    assert client.get("/_emulator/clock").json()["now"].startswith("9998-12-31")
    assert client.post("/rest/login", json=LOGIN).status_code == 200


def test_token_expiry_follows_the_clock(client: TestClient) -> None:
    freeze(client)
    token = client.post("/rest/login", json=LOGIN).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/_emulator/clock/advance", json={"seconds": 3599})
    assert send(client, headers) == 200
    client.post("/_emulator/clock/advance", json={"seconds": 1})
    assert send(client, headers) == 401


def test_stored_times_and_schedule_due_times_read_the_clock(client: TestClient) -> None:
    freeze(client)
    assert send(client, scheduleDate="2030-01-01 00:30") == 200
    assert send(client, scheduleDate="2029-12-31 23:30") == 200
    assert runtime_of(client).dispatcher.wait_idle(10)
    later, earlier = stored_sends(client)
    assert later.received_at == NEW_YEAR
    assert (later.status, earlier.status) == (SCHEDULED, COMPLETED)
    assert {row.received_at for row in journal(client)} == {NEW_YEAR}
    # Moving the clock past the scheduled date dispatches it at once.
    client.post("/_emulator/clock/advance", json={"seconds": 3600})
    assert runtime_of(client).dispatcher.wait_idle(10)
    assert stored_sends(client)[0].status == COMPLETED
    assert send(client, scheduleDate="2030-01-01 00:30") == 200  # now in the past
    assert stored_sends(client)[-1].status != SCHEDULED


def test_a_reset_returns_to_real_time_and_the_start_up_limits(client: TestClient) -> None:
    freeze(client)
    client.put("/_emulator/rate-limits", json={"default": {"capacity": 1, "refillPerSecond": 0}})
    client.put("/_emulator/faults", json=[{"action": {"type": "drop"}}])
    runtime_of(client).reset_state()
    assert client.get("/_emulator/clock").json()["mode"] == "real"
    assert client.get("/_emulator/rate-limits").json()["default"]["capacity"] == 30
    assert client.get("/_emulator/faults").json() == []


# Deterministic ids ----------------------------------------------------------------------


def _ids_of_a_session(settings: Settings) -> list[str]:
    with TestClient(create_app(settings)) as client:
        token = client.post("/rest/login", json=LOGIN).json()["access_token"]
        body = client.post(
            "/rest/push/sendInstant",
            json=inline_send(),
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        return [token, body["transactionId"], body["data"]["trackingId"]]


@pytest.fixture
def seeded(tmp_path: Path, fixtures_dir: Path) -> Callable[[str, int | None], Settings]:
    def make(name: str, seed: int | None) -> Settings:
        return Settings(db=tmp_path / f"{name}.db", fixtures=fixtures_dir, seed=seed)

    return make


def test_two_fresh_apps_with_the_same_seed_generate_the_same_ids(
    seeded: Callable[[str, int | None], Settings],
) -> None:
    first = _ids_of_a_session(seeded("a", 7))
    assert _ids_of_a_session(seeded("b", 7)) == first
    # Run again over the kept database: the repeated ids are stored again, not refused.
    assert _ids_of_a_session(seeded("a", 7)) == first
    assert _ids_of_a_session(seeded("c", 8)) != first
    assert _ids_of_a_session(seeded("d", None)) != _ids_of_a_session(seeded("e", None))


def test_put_seed_restarts_the_sequence(client: TestClient) -> None:
    assert client.get("/_emulator/seed").json() == {"seed": None}
    runs = []
    for _ in range(2):
        assert client.put("/_emulator/seed", json={"seed": 99}).json() == {"seed": 99}
        token = client.post("/rest/login", json=LOGIN).json()["access_token"]
        response = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).json()
        runs.append((token, response["transactionId"], response["data"]["trackingId"]))
    assert runs[0] == runs[1]
    assert client.put("/_emulator/seed", json={"seed": None}).json() == {"seed": None}
    assert client.put("/_emulator/seed", json={"seed": "x"}).status_code == 400


@pytest.mark.parametrize("seed", [-(2**63) - 1, 2**63, 10**30])
def test_a_seed_outside_64_bits_is_a_400_and_the_seed_stays_readable(
    client: TestClient, seed: int
) -> None:
    response = client.put("/_emulator/seed", json={"seed": seed})
    assert response.status_code == 400
    assert response.json()["message"].startswith("seed: must be at ")
    assert client.get("/_emulator/seed").json() == {"seed": None}
    edge = {"seed": -(2**63)}
    assert client.put("/_emulator/seed", json=edge).json() == edge
    assert client.get("/_emulator/seed").json() == edge


def test_a_null_path_in_a_fault_rule_matches_every_path(client: TestClient) -> None:
    response = client.put(
        "/_emulator/faults",
        json=[{"match": {"path": None}, "action": {"type": "status", "status": 503}}],
    )
    assert response.status_code == 200
    assert send(client) == 503
