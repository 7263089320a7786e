"""Fault rules: validation, matching, triggers, and each action answered in-process."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.clock import Clock
from emulator.errors import NOT_AUTHENTICATED, NOT_AUTHORIZED, TEMPLATE_NOT_FOUND
from emulator.faults import (
    FaultBook,
    FaultRequest,
    FaultRuleError,
    load_fault_file,
    parse_rules,
)
from emulator.middleware.faults import ConnectionDropped
from emulator.push.ratelimit import BucketConfig
from emulator.runtime import Runtime
from emulator.settings import Settings
from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, inline_send
from tests.support.stored import journal, stored_sends

SEND = FaultRequest("POST", "/rest/push/sendInstant", "demo-user", frozenset({ANDROID_APP}))
LOGIN = FaultRequest("POST", "/rest/login", "demo-user", frozenset())
REPORT = FaultRequest("GET", "/rest/push/sendInstant", "demo-user", frozenset({IOS_APP}))


def frozen_clock() -> Clock:
    clock = Clock()
    clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    return clock


def book_of(*rules: dict[str, Any], clock: Clock | None = None) -> FaultBook:
    book = FaultBook(clock or frozen_clock())
    book.replace(parse_rules(list(rules)))
    return book


def fires(book: FaultBook, request: FaultRequest = SEND, count: int = 1) -> list[bool]:
    return [book.decide(request) is not None for _ in range(count)]


def put_faults(client: TestClient, *rules: dict[str, Any]) -> None:
    response = client.put("/_emulator/faults", json=list(rules))
    assert response.status_code == 200, response.text


# Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "problem"),
    [
        (
            [{"action": {"type": "status", "status": 418}}],
            "[0].action.status: must be one of 401, 403, 404, 429, 500, 502, 503, 504",
        ),
        (
            [{"action": {"type": "explode"}}],
            "[0].action.type: must be one of status, latency, drop, malformed",
        ),
        (
            [{"action": {"type": "drop"}, "trigger": {"probability": 1.5}}],
            "[0].trigger.probability: must be at most 1",
        ),
        (
            [{"action": {"type": "drop"}, "trigger": {"probability": -0.1}}],
            "[0].trigger.probability: must be at least 0",
        ),
        ([{"action": {"type": "latency", "ms": 60_001}}], "[0].action.ms: must be at most 60000"),
        (
            [{"action": {"type": "latency", "minMs": 1, "maxMs": 90_000}}],
            "[0].action.maxMs: must be at most 60000",
        ),
        (
            [{"action": {"type": "latency", "minMs": 9, "maxMs": 5}}],
            "[0].action.minMs: must not be above maxMs",
        ),
        ([{"action": {"type": "latency"}}], "[0].action: latency needs either ms, or both minMs"),
        ([{"action": {"type": "status"}}], "[0].action.status: is required for type 'status'"),
        (
            [{"action": {"type": "status", "status": 503, "retryAfter": 2}}],
            "[0].action.retryAfter: only goes with status 429",
        ),
        ([{"action": {"type": "drop", "ms": 5}}], "[0].action.ms: not used by type 'drop'"),
        ([{}], "[0].action: is required"),
        ([{"action": {"type": "drop"}, "when": 1}], "[0].when: is not a known field"),
        ([{"action": {"type": "drop"}, "trigger": {"times": 0}}], "[0].trigger.times"),
        (
            [{"match": {"path": "/other"}, "action": {"type": "drop"}}],
            "[0].match.path: must be a path under /rest",
        ),
        (
            [{"match": {"applicationId": "nope"}, "action": {"type": "drop"}}],
            "[0].match.applicationId",
        ),
        ([{"action": {"type": "status", "status": "503"}}], "[0].action.status: must be an int"),
        ({"action": {"type": "drop"}}, "body: must be an array of fault rules"),
    ],
)
def test_bad_rules_name_the_field_and_rule(rules: Any, problem: str) -> None:
    with pytest.raises(FaultRuleError) as caught:
        parse_rules(rules)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_too_many_rules_are_refused() -> None:
    with pytest.raises(FaultRuleError, match="at most 100 fault rules"):
        parse_rules([{"action": {"type": "drop"}}] * 101)


# Matching -------------------------------------------------------------------------------


def test_an_empty_match_matches_every_request() -> None:
    book = book_of({"action": {"type": "drop"}})
    assert fires(book, SEND) + fires(book, LOGIN) + fires(book, REPORT) == [True] * 3


def test_method_and_path_tell_send_login_and_report_apart() -> None:
    book = book_of(
        {"match": {"method": "get", "path": "/rest/push/sendInstant"}, "action": {"type": "drop"}}
    )
    assert fires(book, SEND) + fires(book, LOGIN) + fires(book, REPORT) == [False, False, True]


def test_api_user_and_application_id_match() -> None:
    by_user = book_of({"match": {"apiUser": "other-user"}, "action": {"type": "drop"}})
    assert fires(by_user, SEND) == [False]
    assert fires(by_user, FaultRequest("POST", "/rest/login", "other-user")) == [True]
    by_app = book_of({"match": {"applicationId": IOS_APP.upper()}, "action": {"type": "drop"}})
    assert fires(by_app, SEND) + fires(by_app, REPORT) == [False, True]
    # A send naming no application goes to all of them, this one included.
    everywhere = FaultRequest("POST", "/rest/push/sendInstant", None, None)
    assert fires(by_app, everywhere) == [True]


# Triggers -------------------------------------------------------------------------------


def test_times_faults_the_next_n_matching_requests_only() -> None:
    book = book_of(
        {"match": {"path": "/rest/login"}, "action": {"type": "drop"}, "trigger": {"times": 2}}
    )
    assert fires(book, SEND) == [False]  # not matching: not counted
    assert fires(book, LOGIN, 4) == [True, True, False, False]
    [status] = book.status()
    assert (status["fired"], status["remaining"], status["active"]) == (2, 0, False)


def test_a_seeded_probability_gives_the_same_sequence_on_every_run() -> None:
    rule = {"action": {"type": "drop"}, "trigger": {"probability": 0.5, "seed": 42}}
    first = fires(book_of(rule), count=200)
    second = fires(book_of(rule), count=200)
    assert first == second
    assert 60 < first.count(True) < 140  # it is a coin, not a constant
    other = fires(book_of({**rule, "trigger": {"probability": 0.5, "seed": 43}}), count=200)
    assert other != first


def test_probability_zero_never_fires_and_one_always_does() -> None:
    never = book_of({"action": {"type": "drop"}, "trigger": {"probability": 0}})
    always = book_of({"action": {"type": "drop"}, "trigger": {"probability": 1}})
    assert fires(never, count=50) == [False] * 50
    assert fires(always, count=50) == [True] * 50


def test_probability_and_times_together_stop_after_n_hits() -> None:
    book = book_of(
        {"action": {"type": "drop"}, "trigger": {"probability": 0.5, "seed": 1, "times": 3}}
    )
    assert fires(book, count=100).count(True) == 3


def test_a_ttl_runs_out_on_the_emulator_clock() -> None:
    clock = frozen_clock()
    book = book_of({"action": {"type": "drop"}, "trigger": {"ttlSeconds": 60}}, clock=clock)
    assert book.status()[0]["expiresAt"] == "2026-01-01T00:01:00+00:00"
    clock.advance(59.5)
    assert fires(book) == [True]
    clock.advance(0.5)
    assert fires(book) == [False]
    assert book.status()[0]["active"] is False


def test_latency_is_fixed_or_a_seeded_draw_within_its_range() -> None:
    fixed = book_of({"action": {"type": "latency", "ms": 250}})
    decision = fixed.decide(SEND)
    assert decision is not None
    assert (decision.delay_ms, decision.action) == (250, None)
    rule = {"action": {"type": "latency", "minMs": 10, "maxMs": 20}, "trigger": {"seed": 5}}
    runs = []
    for _ in range(2):
        book = book_of(rule)
        runs.append([book.decide(SEND).delay_ms for _ in range(50)])  # type: ignore[union-attr]
    assert runs[0] == runs[1]
    assert all(10 <= ms <= 20 for ms in runs[0])
    assert len(set(runs[0])) > 1


def test_latencies_add_up_before_the_first_answering_rule() -> None:
    book = book_of(
        {"action": {"type": "latency", "ms": 30}},
        {"name": "outage", "action": {"type": "status", "status": 504}},
        {"action": {"type": "drop"}},
    )
    decision = book.decide(SEND)
    assert decision is not None
    assert decision.delay_ms == 30
    assert decision.action is not None
    assert decision.action.status == 504
    assert decision.description == "rules[0]: latency 30 ms; rules[1] 'outage': status 504"


def test_reset_restores_the_presets_with_fresh_counters() -> None:
    book = FaultBook(frozen_clock())
    book.preset(parse_rules([{"action": {"type": "drop"}, "trigger": {"times": 1}}]))
    assert fires(book, count=2) == [True, False]
    book.replace([])
    assert not book.active
    book.reset()
    assert fires(book, count=2) == [True, False]
    book.clear()
    assert fires(book) == [False]


# Each action, in-process ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "body", "headers"),
    [
        ({"status": 401}, 401, {"code": 401, "message": NOT_AUTHENTICATED}, {}),
        ({"status": 403}, 403, {"code": 403, "message": NOT_AUTHORIZED}, {}),
        ({"status": 403, "emptyBody": True}, 403, None, {}),
        ({"status": 404}, 404, {"code": 404, "message": TEMPLATE_NOT_FOUND}, {}),
        ({"status": 429}, 429, {"code": 429, "message": "TooManyRequest"}, {"retry-after": "1"}),
        (
            {"status": 429, "retryAfter": 30},
            429,
            {"code": 429, "message": "TooManyRequest"},
            {"retry-after": "30"},
        ),
        ({"status": 500}, 500, {"code": 500, "message": "Internal server error."}, {}),
        ({"status": 502}, 502, {"code": 502, "message": "Bad gateway."}, {}),
        ({"status": 503}, 503, {"code": 503, "message": "Service unavailable."}, {}),
        ({"status": 504}, 504, {"code": 504, "message": "Gateway timeout."}, {}),
        ({"status": 403, "message": "Custom."}, 403, {"code": 403, "message": "Custom."}, {}),
    ],
)
def test_a_status_fault_answers_instead_of_the_send_and_stores_nothing(
    client: TestClient,
    action: dict[str, Any],
    status: int,
    body: dict[str, Any] | None,
    headers: dict[str, str],
) -> None:
    put_faults(client, {"name": "f", "action": {"type": "status", **action}})
    response = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    assert response.status_code == status
    if body is None:
        assert response.content == b""
    else:
        assert response.json() == body
    for key, value in headers.items():
        assert response.headers[key] == value
    assert stored_sends(client) == []
    [row] = journal(client)
    assert row.status == status
    assert row.fault is not None
    assert row.fault.startswith("rules[0] 'f': status ")
    assert row.api_user is None  # no rule asked for the user, so none was looked up


def test_a_malformed_body_is_a_200_that_is_not_json(client: TestClient) -> None:
    put_faults(client, {"action": {"type": "malformed"}})
    response = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    assert stored_sends(client) == []
    [row] = journal(client)
    assert (row.status, row.fault) == (200, "rules[0]: malformed JSON with status 200")


def test_a_dropped_connection_without_a_server_transport_raises(client: TestClient) -> None:
    # The in-process client has no socket to close; test_fault_http sees the real drop.
    put_faults(client, {"action": {"type": "drop"}})
    with pytest.raises(ConnectionDropped):
        client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    assert stored_sends(client) == []


def test_latency_delays_then_lets_the_request_through(client: TestClient) -> None:
    put_faults(client, {"action": {"type": "latency", "ms": 20}})
    response = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    assert response.status_code == 200
    assert len(stored_sends(client)) == 1
    [row] = journal(client)
    assert row.fault == "rules[0]: latency 20 ms"
    assert row.latency_ms >= 20  # a lower bound the sleep guarantees, not a timing
    assert row.api_user == "demo-user"


def test_a_rule_on_an_api_user_matches_its_token_and_costs_no_bucket_token(
    client: TestClient,
) -> None:
    runtime = runtime_of(client)
    runtime.limiter.configure(BucketConfig(1, 0), {})
    put_faults(
        client,
        {
            "match": {"apiUser": "demo-user"},
            "action": {"type": "status", "status": 503},
            "trigger": {"times": 1},
        },
    )
    faulted = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    assert faulted.status_code == 503
    # The fault took no token: the bucket of one still lets the next send through.
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code == 200
    )
    rows = journal(client)
    assert [(r.status, r.api_user) for r in rows] == [(503, "demo-user"), (200, "demo-user")]


def test_a_rule_on_an_api_user_matches_login_tokens_and_login_bodies(client: TestClient) -> None:
    put_faults(
        client,
        {
            "match": {"apiUser": "demo-user", "path": "/rest/login"},
            "action": {"type": "status", "status": 502},
            "trigger": {"times": 1},
        },
        {
            "match": {"apiUser": "demo-user", "method": "POST", "path": "/rest/push/sendInstant"},
            "action": {"type": "status", "status": 504},
        },
    )
    login = {"userkey": "demo-user", "password": "demo-password"}
    assert client.post("/rest/login", json=login).status_code == 502
    other = {"userkey": "readonly-user", "password": "readonly-password"}
    assert client.post("/rest/login", json=other).status_code == 200
    token = client.post("/rest/login", json=login).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=headers).status_code
        == 504
    )
    readonly = {"Authorization": "Bearer readonly-token"}
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=readonly).status_code
        == 403
    )


def test_a_rule_on_an_application_reads_the_body_and_replays_it(client: TestClient) -> None:
    put_faults(
        client, {"match": {"applicationId": IOS_APP}, "action": {"type": "status", "status": 500}}
    )
    assert (
        client.post(
            "/rest/push/sendInstant", json=inline_send(applicationIds=[IOS_APP]), headers=DEMO
        ).status_code
        == 500
    )
    # Not matched: the body the rule read still reaches the send, which stores it whole.
    response = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    assert response.status_code == 200
    [send] = stored_sends(client)
    assert send.application_ids == [ANDROID_APP]
    report = client.get(
        f"/rest/push/sendInstant?trackingId=x&applicationId={IOS_APP}", headers=DEMO
    )
    assert report.status_code == 500


# The preset file ------------------------------------------------------------------------


def test_a_faults_file_presets_rules_at_start_and_after_reset(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    file = tmp_path / "faults.json"
    file.write_text(
        json.dumps([{"action": {"type": "status", "status": 503}, "trigger": {"times": 1}}])
    )
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, faults=file)
    with TestClient(create_app(settings)) as client:
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            == 503
        )
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            == 200
        )
        runtime_of(client).reset_state()
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            == 503
        )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('[{"action": {"type": "status", "status": 999}}]', "[0].action.status: must be one of"),
        ("[{", "is not valid JSON"),
        ('{"rules": []}', "body: must be an array"),
    ],
)
def test_a_bad_faults_file_stops_start_up_naming_file_and_field(
    tmp_path: Path, fixtures_dir: Path, content: str, problem: str
) -> None:
    file = tmp_path / "faults.json"
    file.write_text(content)
    with pytest.raises(FaultRuleError) as caught:
        Runtime.start(Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, faults=file))
    message = str(caught.value)
    assert message.startswith(f"faults file {file}: ")
    assert problem in message
    assert "\n" not in message
    assert isinstance(caught.value, ValueError)


def test_a_missing_faults_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(FaultRuleError, match="cannot be read"):
        load_fault_file(tmp_path / "absent.json")


def test_a_seeded_rule_faults_the_same_requests_in_two_fresh_apps(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    rule = {"action": {"type": "status", "status": 503}, "trigger": {"probability": 0.5, "seed": 3}}
    runs = []
    for name in ("a", "b"):
        settings = Settings(db=tmp_path / f"{name}.db", fixtures=fixtures_dir)
        with TestClient(create_app(settings)) as client:
            put_faults(client, rule)
            runs.append(
                [
                    client.post(
                        "/rest/push/sendInstant", json=inline_send(), headers=DEMO
                    ).status_code
                    for _ in range(30)
                ]
            )
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}
