"""Starting `push-emulator serve` as a real process on a free port, as a user would."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from emulator.serving import free_port, serve_process

CLI = [sys.executable, "-m", "emulator"]

__all__ = ["CLI", "free_port", "run_cli", "serving"]


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
