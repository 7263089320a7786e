"""GET /metrics: off by default, Prometheus' text format when on, counters that move."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from emulator.app import create_app
from emulator.settings import Settings
from emulator.testing import run_emulator
from tests.support.app import runtime_of
from tests.support.demo import DEMO, inline_send

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def metered(tmp_path: Path, fixtures_dir: Path) -> Iterator[TestClient]:
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, metrics=True)
    with TestClient(create_app(settings)) as client:
        yield client


def scrape(client: TestClient, headers: dict[str, str] | None = None) -> Samples:
    response = client.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def send_and_wait(client: TestClient, count: int) -> None:
    for _ in range(count):
        answer = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
        assert answer.status_code == 200
    assert runtime_of(client).dispatcher.wait_idle(30)


def test_metrics_are_off_by_default(client: TestClient) -> None:
    assert client.get("/metrics").status_code == 404
    assert "/metrics" not in client.get("/_emulator/openapi.json").json()["paths"]


def test_counters_move_as_sends_are_made(metered: TestClient) -> None:
    before = scrape(metered)
    send_and_wait(metered, 3)
    after = scrape(metered)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    route = {"method": "POST", "route": "/rest/push/sendInstant"}
    assert moved("push_emulator_requests_total", **route, status="200") == 3
    assert moved("push_emulator_request_duration_seconds_count", **route) == 3
    assert moved("push_emulator_sends_total", kind="instant", status="Queued") == 3
    assert moved("push_emulator_sends_total", kind="instant", status="Completed") == 3
    # The demo Android app has devices; each send reaches all of them.
    assert moved("push_emulator_deliveries_total", outcome="delivered") >= 3
    assert moved("push_emulator_writer_commit_duration_seconds_count") >= 3
    assert value(after, "push_emulator_stored_rows", table="send") == 3
    assert value(after, "push_emulator_stored_rows", table="journal") == 3
    assert value(after, "push_emulator_stored_rows", table="delivery") == moved(
        "push_emulator_deliveries_total", outcome="delivered"
    ) + moved("push_emulator_deliveries_total", outcome="unregistered")
    assert value(after, "push_emulator_database_size_bytes") > 0
    assert ("push_emulator_writer_queue_depth", frozenset()) in after


def test_sends_are_counted_by_their_kind(metered: TestClient) -> None:
    transactional = {
        "contentId": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b",
        "contactKey": "c-001",
        "sendToAll": True,
        "current": {"bookingId": "B-42", "date": "Friday", "name": "Ada"},
    }
    answer = metered.post("/rest/transactional/push", json=transactional, headers=DEMO)
    assert answer.status_code == 200, answer.text
    assert runtime_of(metered).dispatcher.wait_idle(30)
    samples = scrape(metered)
    for status in ("Queued", "Sending", "Completed"):
        counted = {"kind": "transactional", "status": status}
        assert value(samples, "push_emulator_sends_total", **counted) == 1, status
    assert value(samples, "push_emulator_sends_total", kind="instant", status="Queued") == 0


def test_429s_are_counted_by_api_user_and_cause(metered: TestClient) -> None:
    metered.put(
        "/_emulator/rate-limits",
        json={"users": {"demo-user": {"capacity": 1, "refillPerSecond": 0}}},
    )
    statuses = [
        metered.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 429, 429]
    metered.put(
        "/_emulator/faults",
        json=[{"name": "storm", "action": {"type": "status", "status": 429}}],
    )
    assert metered.post("/rest/login", json={"userkey": "x", "password": "y"}).status_code == 429
    samples = scrape(metered)
    assert value(samples, "push_emulator_rate_limited_total", api_user="demo-user", cause="bucket")
    assert value(samples, "push_emulator_rate_limited_total", api_user="other", cause="fault") == 1
    assert value(samples, "push_emulator_faults_fired_total", rule="storm") == 1
    # A request answered by a fault never reached its route, and is still counted under it.
    login = {"method": "POST", "route": "/rest/login", "status": "429"}
    assert value(samples, "push_emulator_requests_total", **login) == 1


def test_routes_are_labelled_by_their_template_and_unknown_paths_as_unmatched(
    metered: TestClient,
) -> None:
    metered.get("/_emulator/sends/no-such-send")
    metered.get("/_emulator/sends/another-one")
    metered.get("/no/such/route")
    samples = scrape(metered)
    detail = {"method": "GET", "route": "/_emulator/sends/{key}", "status": "404"}
    assert value(samples, "push_emulator_requests_total", **detail) == 2
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(samples, "push_emulator_requests_total", **unmatched) == 1


def test_open_event_streams_are_counted() -> None:
    with run_emulator(metrics=True) as emulator:

        def subscribers() -> float:
            text = httpx.get(f"{emulator.url}/metrics").text
            [family] = [
                f
                for f in text_string_to_metric_families(text)
                if f.name == "push_emulator_sse_subscribers"
            ]
            return float(family.samples[0].value)

        assert subscribers() == 0
        with httpx.stream("GET", f"{emulator.url}/_emulator/events") as response:
            lines = response.iter_lines()  # kept: a dropped iterator closes the stream
            assert next(lines) == ": connected"
            assert subscribers() == 1


def test_two_apps_in_one_process_count_apart(metered: TestClient, tmp_path: Path) -> None:
    other_settings = Settings(db=tmp_path / "other.db", metrics=True)
    with TestClient(create_app(other_settings)) as other:
        send_and_wait(metered, 2)
        mine = scrape(metered)
        theirs = scrape(other)
    queued = {"kind": "instant", "status": "Queued"}
    assert value(mine, "push_emulator_sends_total", **queued) == 2
    assert value(theirs, "push_emulator_sends_total", **queued) == 0


def test_metrics_sit_behind_the_admin_token(tmp_path: Path, fixtures_dir: Path) -> None:
    settings = Settings(
        db=tmp_path / "e.db", fixtures=fixtures_dir, metrics=True, admin_token="adm1n-token"
    )
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers=DEMO).status_code == 401
        samples = scrape(client, {"Authorization": "Bearer adm1n-token"})
    assert value(samples, "push_emulator_info", version="0.1.0") == 1
