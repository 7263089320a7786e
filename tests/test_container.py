"""The container: the Dockerfile's promises read from its text, and its commands run for real.

No Docker engine runs here, so the image build itself is exercised by whoever has one; what
can be checked without it is checked: the Dockerfile's properties, and its install and start
commands performed in a clean virtual environment, probed the way its HEALTHCHECK probes.
"""

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from emulator.testing import run_emulator
from emulator.webhooks.rules import parse_webhooks
from tests.support.demo import DEMO, inline_send
from tests.support.server import free_port
from tests.support.wheel import Installed

SEND = inline_send()

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    """Every instruction of one kind, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE)
    return [
        line.split(None, 1)[1]
        for line in joined.splitlines()
        if line.strip() and line.split(None, 1)[0].upper() == name
    ]


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in instructions("ENV"):
        for pair in shlex.split(line):
            key, _, value = pair.partition("=")
            env[key] = value
    return env


def test_the_build_is_multi_stage_on_a_slim_python() -> None:
    bases = instructions("FROM")
    assert len(bases) >= 2
    assert all(re.match(r"python:3\.1[1-9]-slim", base) for base in bases)
    assert "--from=build" in " ".join(instructions("COPY"))


def test_dependencies_are_installed_in_their_own_layer_before_the_code() -> None:
    joined = re.sub(r"\\\n\s*", " ", DOCKERFILE).splitlines()
    order = [line for line in joined if line.startswith(("COPY", "RUN"))]
    deps = next(i for i, line in enumerate(order) if "pyproject.toml" in line)
    install = next(i for i, line in enumerate(order) if "pip install ." in line)
    code = next(i for i, line in enumerate(order) if line.startswith("COPY emulator"))
    assert deps < install < code


def test_it_runs_as_a_non_root_user() -> None:
    users = instructions("USER")
    assert users
    assert users[-1] not in {"root", "0"}


def test_it_serves_on_all_interfaces_inside_the_container_only() -> None:
    env = image_env()
    assert env["EMULATOR_HOST"] == "0.0.0.0"  # noqa: S104 - the container's own interfaces
    assert env["EMULATOR_PORT"] == "8080"
    assert instructions("EXPOSE") == ["8080"]


def test_data_is_a_volume_and_the_fixtures_are_the_packaged_ones() -> None:
    env = image_env()
    assert env["EMULATOR_DB"].startswith("/data/")
    assert '"/data"' in instructions("VOLUME")[0]
    # The demo account ships inside the package; the image adds no copy of its own.
    assert "EMULATOR_FIXTURES" not in env
    assert "fixtures" not in " ".join(instructions("COPY"))


def test_the_compose_example_mounts_its_fixtures_where_it_names_them() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    mount = re.search(r"- \./(\S+):/fixtures:ro", compose)
    assert mount is not None
    assert (ROOT / mount.group(1) / "api_users.json").is_file()
    assert re.search(r"EMULATOR_FIXTURES: /fixtures\b", compose)


def test_the_health_check_runs_the_programs_own_subcommand() -> None:
    [check] = instructions("HEALTHCHECK")
    assert 'CMD ["push-emulator", "healthcheck"]' in check


def test_it_carries_oci_labels() -> None:
    labels = " ".join(instructions("LABEL"))
    for key in ("title", "description", "licenses", "version"):
        assert f"org.opencontainers.image.{key}=" in labels


def test_the_build_context_leaves_out_local_state() -> None:
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".git", ".venv", "data", "tests"):
        assert entry in ignored


@pytest.mark.process
def test_the_install_and_start_commands_work_in_a_clean_virtual_environment(
    installed: Installed, tmp_path: Path
) -> None:
    # The Dockerfile's `pip install .` builds and installs the package's wheel: the same
    # wheel `installed` built from the sources alone and put in a clean virtualenv.
    venv = installed.venv
    env = {
        **os.environ,
        **image_env(),
        "PATH": f"{venv / 'bin'}:{os.environ['PATH']}",
        # On this machine, not in a container: loopback and a free port, paths in tmp.
        "EMULATOR_HOST": "127.0.0.1",
        "EMULATOR_PORT": str(free_port()),
        "EMULATOR_DB": str(tmp_path / "data" / "emulator.db"),
    }
    # No EMULATOR_FIXTURES, as in the image: the default finds the packaged demo account.
    env.pop("VIRTUAL_ENV", None)
    entrypoint = [str(venv / "bin" / "push-emulator"), "serve"]  # ENTRYPOINT + CMD
    server = subprocess.Popen(
        entrypoint, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        healthcheck = [str(venv / "bin" / "push-emulator"), "healthcheck"]
        deadline = time.monotonic() + 30
        while subprocess.run(healthcheck, env=env, capture_output=True).returncode != 0:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "the health check never passed"
            time.sleep(0.2)  # a start-up probe, as the HEALTHCHECK's interval does
        ready = httpx.get(f"http://127.0.0.1:{env['EMULATOR_PORT']}/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
    finally:
        server.terminate()
        server.wait(timeout=10)
        if server.stderr:
            server.stderr.close()
    assert (tmp_path / "data" / "emulator.db").exists()


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def test_the_compose_webhooks_config_is_valid_and_reaches_the_receiver() -> None:
    [webhook] = parse_webhooks(json.loads(compose()["configs"]["webhooks"]["content"]))
    service = compose()["services"]["push-emulator"]
    assert service["environment"]["EMULATOR_WEBHOOKS"] == service["configs"][0]["target"]
    assert service["environment"]["EMULATOR_METRICS"] == "true"
    assert webhook.url.startswith("http://receiver:9000/")
    assert webhook.secret == compose()["services"]["receiver"]["environment"]["WEBHOOK_SECRET"]


def listening(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert time.monotonic() < deadline, f"nothing listens on {port}"
            time.sleep(0.05)  # a start-up probe: the script is still starting


@pytest.mark.process
def test_the_compose_receiver_checks_the_signature_of_a_real_event(tmp_path: Path) -> None:
    """The example receiver's script, run here on a free port, against a real emulator."""
    receiver = compose()["services"]["receiver"]
    script = receiver["command"][-1]
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", script.replace("9000", str(port))],
        env={**os.environ, **receiver["environment"]},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        [webhook] = json.loads(compose()["configs"]["webhooks"]["content"])
        webhook["url"] = f"http://127.0.0.1:{port}/push-events"
        presets = tmp_path / "webhooks.json"
        presets.write_text(json.dumps([webhook]))
        listening(port)
        with run_emulator(webhooks=presets) as emulator:
            sent = httpx.post(emulator.base_url + "/push/sendInstant", json=SEND, headers=DEMO)
            assert sent.status_code == 200
            emulator.client.webhooks.wait_for_deliveries(result="delivered", event_kind="send")
        assert process.stdout is not None
        first = process.stdout.readline()
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()
    assert first.startswith("signed ")
    assert " send {" in first
