"""Reaching into an in-process app: its runtime, and the fixture files it loads."""

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from emulator.runtime import Runtime


def runtime_of(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def edit_fixture(folder: Path, name: str, records: list[dict[str, Any]]) -> None:
    (folder / f"{name}.json").write_text(json.dumps(records))
