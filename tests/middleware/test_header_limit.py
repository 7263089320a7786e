"""The header cap: headers past EMULATOR_MAX_HEADER_BYTES are a 431 in the envelope."""

from pathlib import Path

from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from tests.support.demo import DEMO, inline_send
from tests.support.stored import journal, stored_sends


def test_headers_over_the_cap_are_a_431_journaled_with_a_capped_copy(client: TestClient) -> None:
    big = {f"x-filler-{i}": "v" * 8000 for i in range(10)}  # 80 KB: past the 64 KiB default
    response = client.post("/rest/push/sendInstant", json=inline_send(), headers={**DEMO, **big})
    assert response.status_code == 431
    assert response.json()["code"] == 431
    assert response.json()["message"].startswith("headers: must be at most 65536 bytes in all")
    assert stored_sends(client) == []
    [row] = journal(client)
    assert row.status == 431
    assert sum(len(k) + len(v) for k, v in row.headers.items()) < 10_000


def test_the_cap_is_a_setting_and_covers_every_route(tmp_path: Path, fixtures_dir: Path) -> None:
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, max_header_bytes=2048)
    with TestClient(create_app(settings)) as client:
        assert client.get("/livez", headers={"x-a": "v" * 1000}).status_code == 200
        assert client.get("/livez", headers={"x-a": "v" * 3000}).status_code == 431
        assert client.get("/_emulator/sends", headers={"x-a": "v" * 3000}).status_code == 431
