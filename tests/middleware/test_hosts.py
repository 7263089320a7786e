"""The Host check: a rebinding page's requests are 421s on every route; real names pass."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.middleware.hosts import allowed_hosts, host_name, is_allowed
from emulator.settings import Settings
from tests.support.demo import DEMO, inline_send
from tests.support.stored import journal, stored_sends

EVIL = {"Host": "evil.example:8080"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_emulator/fixtures"),  # API users' passwords and tokens
        ("POST", "/_emulator/reset"),
        ("PUT", "/_emulator/faults"),
        ("GET", "/"),
        ("GET", "/livez"),
        ("POST", "/rest/push/sendInstant"),
    ],
)
def test_a_rebound_host_is_refused_on_every_route(
    client: TestClient, method: str, path: str
) -> None:
    # The Origin matches the Host, as it does for a page whose name was rebound to us.
    headers = {**EVIL, "Origin": "http://evil.example:8080", **DEMO}
    response = client.request(method, path, headers=headers, json=[])
    assert response.status_code == 421
    body = response.json()
    assert body["code"] == 421
    assert "'evil.example:8080'" in body["message"]
    assert "EMULATOR_ALLOWED_HOSTS" in body["message"]
    assert "demo-password" not in response.text


def test_a_refused_send_is_journaled_and_never_stored(client: TestClient) -> None:
    client.post("/rest/push/sendInstant", json=inline_send(), headers={**EVIL, **DEMO})
    assert stored_sends(client) == []
    [row] = journal(client)
    assert (row.status, row.headers["host"]) == (421, "evil.example:8080")


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1:8080",
        "localhost:8080",
        "LOCALHOST",
        "[::1]:8080",
        "push-emulator:8080",  # compose's service name
        "172.18.0.5:8080",  # another container, by address
        "inbox.localhost:8080",
        "testserver",
    ],
)
def test_loopback_addresses_and_the_service_name_pass(client: TestClient, host: str) -> None:
    assert client.get("/livez", headers={"Host": host}).status_code == 200


def test_allowed_hosts_adds_names_and_a_star_allows_any(tmp_path: Path, fixtures_dir: Path) -> None:
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, allowed_hosts="Emu.Test, x")
    assert {"emu.test", "x", "localhost", "push-emulator"} <= allowed_hosts(settings)
    with TestClient(create_app(settings)) as client:
        assert client.get("/livez", headers={"Host": "emu.test:80"}).status_code == 200
        assert client.get("/livez", headers={"Host": "evil.example"}).status_code == 421
    assert is_allowed("evil.example", frozenset({"*"}))


@pytest.mark.parametrize(
    ("host", "name"),
    [("a.b:80", "a.b"), ("[::1]:8080", "::1"), ("[::1]", "::1"), ("::1", "::1"), ("X", "x")],
)
def test_host_name_drops_port_and_brackets(host: str, name: str) -> None:
    assert host_name(host) == name
