"""Starting `push-emulator serve` as a real process on a free port, as a user would."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from emulator.serving import free_port, serve_process
from tests.support.demo import DEMO, inline_send

if TYPE_CHECKING:
    from emulator.testing import RunningEmulator

CLI = [sys.executable, "-m", "emulator"]

__all__ = ["CLI", "free_port", "run_cli", "send_to", "serving", "stop"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30
) -> "subprocess.CompletedProcess[str]":
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


@contextmanager
def serving(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """A real server process; yields its base URL and stops it afterwards."""
    port = free_port()
    command = [*CLI, "serve", "--port", str(port), "--db", str(tmp_path / "data" / "e.db"), *args]
    with serve_process(command, port, env={**os.environ, **(env or {})}):
        yield f"http://127.0.0.1:{port}"


def send_to(emulator: "RunningEmulator", **extra: Any) -> dict[str, Any]:
    """One accepted SendInstantPush to a served emulator, as an app would make it."""
    response = httpx.post(
        f"{emulator.base_url}/push/sendInstant", json=inline_send(**extra), headers=DEMO
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def stop(process: "subprocess.Popen[str]") -> None:
    """End a process a test started (if it still runs) and close its pipes."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream:
            stream.close()
