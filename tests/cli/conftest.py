"""One served emulator with an admin token for the CLI's tests, reset before each."""

from collections.abc import Iterator

import pytest

from emulator.testing import RunningEmulator, run_emulator


@pytest.fixture(scope="package")
def server() -> Iterator[RunningEmulator]:
    with run_emulator(admin_token="cli-admin") as emulator:
        yield emulator


@pytest.fixture
def emulator(server: RunningEmulator, monkeypatch: pytest.MonkeyPatch) -> RunningEmulator:
    server.client.reset()
    monkeypatch.setenv("EMULATOR_ADMIN_TOKEN", "cli-admin")
    monkeypatch.delenv("PUSH_EMULATOR_URL", raising=False)
    return server
