"""One served emulator for the client's tests, reset before each."""

from collections.abc import Iterator

import pytest

from emulator.testing import RunningEmulator, run_emulator


@pytest.fixture(scope="package")
def server() -> Iterator[RunningEmulator]:
    with run_emulator() as emulator:
        yield emulator


@pytest.fixture
def emulator(server: RunningEmulator) -> RunningEmulator:
    server.client.reset()
    return server
