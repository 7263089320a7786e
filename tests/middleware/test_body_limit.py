"""The body cap on /rest: 413 by the declared length, by a chunked body, before fault rules."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from tests.support.demo import DEMO, IOS_APP, inline_send
from tests.support.stored import journal, stored_sends


def post_send(client: TestClient, body: bytes) -> httpx2.Response:
    return client.post(
        "/rest/push/sendInstant",
        content=body,
        headers={**DEMO, "Content-Type": "application/json"},
    )


def put_faults(client: TestClient, *rules: dict[str, Any]) -> None:
    assert client.put("/_emulator/faults", json=list(rules)).status_code == 200


def test_a_body_over_the_limit_is_a_413_and_nothing_is_stored(client: TestClient) -> None:
    big = b'{"content": {"title": "' + b"x" * (1024 * 1024) + b'"}}'
    response = post_send(client, big)
    assert response.status_code == 413
    assert response.json()["message"] == "body: must be at most 1048576 bytes"
    assert stored_sends(client) == []


def test_a_chunked_body_over_the_limit_is_a_413_too(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65536

    response = client.post(
        "/rest/push/sendInstant",
        content=chunks(),
        headers=DEMO,
    )
    assert response.status_code == 413
    assert stored_sends(client) == []


def test_a_body_over_the_cap_is_still_a_413_while_reading_for_a_rule(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, max_body_bytes=100)
    with TestClient(create_app(settings)) as client:
        put_faults(client, {"match": {"applicationId": IOS_APP}, "action": {"type": "drop"}})

        def chunks() -> Any:
            yield b'{"applicationIds": ["' + IOS_APP.encode() + b'"], "content": '
            yield b'{"title": "' + b"x" * 200 + b'"}}'

        response = client.post("/rest/push/sendInstant", content=chunks(), headers=DEMO)
        assert response.status_code == 413


def test_a_body_at_the_limit_passes_whole(tmp_path: Path, fixtures_dir: Path) -> None:
    body = httpx2.Request("POST", "/", json=inline_send()).content
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, max_body_bytes=len(body))
    with TestClient(create_app(settings)) as client:
        assert post_send(client, body).status_code == 200
        assert post_send(client, body + b" ").status_code == 413
        assert len(stored_sends(client)) == 1


def test_a_refused_chunked_body_is_journaled_as_a_413(tmp_path: Path, fixtures_dir: Path) -> None:
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, max_body_bytes=100)
    with TestClient(create_app(settings)) as client:

        def chunks() -> Iterator[bytes]:
            yield b'{"content": {"title": "'
            yield b"x" * 200

        response = client.post("/rest/push/sendInstant", content=chunks(), headers=DEMO)
        assert response.status_code == 413
        [row] = journal(client)
        assert (row.status, row.error) == (413, "body: must be at most 100 bytes")


def test_a_body_is_read_before_the_route_refuses_the_caller(client: TestClient) -> None:
    # The route answers 401 without reading the body; the cap has read it already, so the
    # journal shows what the unauthenticated caller sent.
    client.post("/rest/push/sendInstant", json=inline_send())
    [row] = journal(client)
    assert row.status == 401
    assert '"title": "Hi"' in row.body or '"title":"Hi"' in row.body
