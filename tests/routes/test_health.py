"""/livez, /readyz and the `healthcheck` subcommand."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from tests.support.app import edit_fixture, runtime_of
from tests.support.server import free_port, run_cli, serving


def test_livez_answers_while_the_process_runs(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "ok"}


def test_readyz_reports_ready_with_what_is_loaded(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"
    assert response.json()["fixtures"]["devices"] == 20


def test_readyz_is_503_when_the_database_takes_no_writes(client: TestClient) -> None:
    runtime_of(client).writer.close()  # what a vanished or broken database looks like
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "is not writable" in response.json()["problems"][0]
    assert client.get("/livez").status_code == 200


def test_readyz_is_503_without_api_users(tmp_path: Path, fixtures_dir: Path) -> None:
    edit_fixture(fixtures_dir, "api_users", [])
    app = create_app(Settings(db=tmp_path / "e.db", fixtures=fixtures_dir))
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "no API users are loaded" in response.json()["problems"][0]


@pytest.mark.process
def test_healthcheck_exits_0_for_a_ready_server_and_1_otherwise(tmp_path: Path) -> None:
    with serving(tmp_path) as url:
        ok = run_cli("healthcheck", "--url", url)
        assert ok.returncode == 0
        assert ok.stdout.startswith("ready:")
    down = run_cli("healthcheck", "--url", f"http://127.0.0.1:{free_port()}", "--timeout", "1")
    assert down.returncode == 1
    assert down.stderr.startswith("unhealthy:")
    assert "Traceback" not in down.stderr


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "http://evil.example"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["foreign-origin", "fetch-metadata"],
)
def test_a_cross_site_write_to_the_control_api_is_refused(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.post("/_emulator/reset", headers=headers)
    assert response.status_code == 403
    assert response.json()["message"] == "Cross-site POST to /_emulator/reset refused."


def test_same_site_and_tool_writes_to_the_control_api_pass(client: TestClient) -> None:
    assert client.post("/_emulator/reset").status_code == 200
    same = client.post("/_emulator/reset", headers={"Origin": "http://testserver"})
    assert same.status_code == 200
    assert (
        client.get("/_emulator/sends", headers={"Origin": "http://evil.example"}).status_code == 200
    )
