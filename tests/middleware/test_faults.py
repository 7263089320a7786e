"""Faults and the bucket seen from a real HTTP client against `push-emulator serve`."""

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.demo import DEMO, inline_send
from tests.support.server import free_port, run_cli, serving

pytestmark = pytest.mark.process

SEND = "/rest/push/sendInstant"


class Server:
    def __init__(self, base: str, db: Path) -> None:
        self.base = base
        self.db = db
        self.http = httpx.Client(base_url=base, timeout=10)

    def faults(self, *rules: dict[str, Any]) -> None:
        response = self.http.put("/_emulator/faults", json=list(rules))
        assert response.status_code == 200, response.text

    def limits(self, capacity: int, refill: float) -> None:
        body = {"default": {"capacity": capacity, "refillPerSecond": refill}, "users": {}}
        assert self.http.put("/_emulator/rate-limits", json=body).status_code == 200

    def send(self) -> httpx.Response:
        return self.http.post(SEND, json=inline_send(), headers=DEMO)

    def journal(self, path: str) -> list[tuple[int, str | None]]:
        with sqlite3.connect(self.db) as connection:
            query = "SELECT status, fault FROM journal WHERE path = ? ORDER BY id"
            return [(int(status), fault) for status, fault in connection.execute(query, [path])]

    def stored_sends(self) -> int:
        # Sends commit before their 200 leaves, so a count after an answer is settled.
        with sqlite3.connect(self.db) as connection:
            return int(connection.execute("SELECT count(*) FROM send").fetchone()[0])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("server")
    presets = folder / "faults.json"
    presets.write_text(
        json.dumps([{"name": "preset", "match": {"apiUser": "nobody"}, "action": {"type": "drop"}}])
    )
    with serving(folder, "--faults", str(presets), "--rate-capacity", "100000") as base:
        running = Server(base, folder / "data" / "e.db")
        try:
            yield running
        finally:
            running.http.close()


@pytest.fixture
def fresh(server: Server) -> Server:
    server.faults()
    server.limits(100000, 0)
    return server


def test_the_preset_file_is_in_force_at_start(server: Server) -> None:
    [state] = server.http.get("/_emulator/faults").json()
    assert state["rule"]["name"] == "preset"


def test_a_dropped_connection_is_a_connection_error_not_a_500(fresh: Server) -> None:
    before = fresh.stored_sends()
    drops = fresh.journal(SEND).count((0, "rules[0]: dropped connection"))
    fresh.faults(
        {
            "match": {"method": "POST", "path": SEND},
            "action": {"type": "drop"},
            "trigger": {"times": 1},
        }
    )
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        fresh.send()
    # The server is unharmed and the faulted send was never stored.
    assert fresh.send().status_code == 200
    assert fresh.stored_sends() == before + 1
    # The drop's journal row (status 0: no response) was queued before the server accepted
    # the next connection (its task resumes as the socket closes), and the writer commits in
    # order, so it is stored once the next send's own row is.
    assert fresh.journal(SEND).count((0, "rules[0]: dropped connection")) == drops + 1


def test_a_dropped_login_is_a_connection_error_too(fresh: Server) -> None:
    fresh.faults(
        {"match": {"path": "/rest/login"}, "action": {"type": "drop"}, "trigger": {"times": 1}}
    )
    login = {"userkey": "demo-user", "password": "demo-password"}
    with pytest.raises(httpx.RemoteProtocolError):
        fresh.http.post("/rest/login", json=login)
    assert fresh.http.post("/rest/login", json=login).status_code == 200


def test_a_malformed_body_is_a_200_the_client_cannot_decode(fresh: Server) -> None:
    before = fresh.stored_sends()
    fresh.faults({"action": {"type": "malformed"}, "trigger": {"times": 1}})
    response = fresh.send()
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()
    assert fresh.stored_sends() == before


def test_a_429_storm_carries_retry_after_then_clears(fresh: Server) -> None:
    fresh.faults(
        {"action": {"type": "status", "status": 429, "retryAfter": 5}, "trigger": {"times": 3}}
    )
    storm = [fresh.send() for _ in range(4)]
    assert [r.status_code for r in storm] == [429, 429, 429, 200]
    assert storm[0].headers["retry-after"] == "5"
    assert storm[0].json() == {"code": 429, "message": "TooManyRequest"}


def test_a_403_with_an_empty_body(fresh: Server) -> None:
    fresh.faults({"action": {"type": "status", "status": 403, "emptyBody": True}})
    response = fresh.send()
    assert (response.status_code, response.content) == (403, b"")


async def _burst(base: str, count: int) -> list[int]:
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        responses = await asyncio.gather(
            *(client.post(SEND, json=inline_send(), headers=DEMO) for _ in range(count))
        )
    return [r.status_code for r in responses]


@pytest.mark.parametrize(("capacity", "extra"), [(20, 10), (7, 33)])
def test_a_concurrent_burst_gets_exactly_capacity_accepted(
    fresh: Server, capacity: int, extra: int
) -> None:
    before = fresh.stored_sends()
    fresh.limits(capacity, 0)
    statuses = asyncio.run(_burst(fresh.base, capacity + extra))
    assert statuses.count(200) == capacity
    assert statuses.count(429) == extra
    assert fresh.stored_sends() == before + capacity
    refused = fresh.send()
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "3600"  # no refill: no honest wait exists


def test_a_bad_faults_file_stops_start_up_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "faults.json"
    bad.write_text(json.dumps([{"action": {"type": "status", "status": 200}}]))
    port = str(free_port())
    result = run_cli("serve", "--port", port, "--db", str(tmp_path / "e.db"), "--faults", str(bad))
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        f"push-emulator: faults file {bad}: [0].action.status: must be one of "
        "401, 403, 404, 429, 500, 502, 503, 504 (got 200)"
    ]
