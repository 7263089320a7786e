"""The pytest plugin: a `push_emulator` served once per session and reset before each test."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.testing import RunningEmulator, run_emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "push_emulator_fixtures",
        "folder of fixture JSON files for the push_emulator fixture (default: the bundled ones)",
        type="string",
        default="",
    )


@pytest.fixture(scope="session")
def push_emulator(pytestconfig: pytest.Config) -> Iterator[RunningEmulator]:
    """The emulator on a free port: `.base_url` for the code under test, `.client` to look."""
    folder = str(pytestconfig.getini("push_emulator_fixtures"))
    fixtures: Path | None = pytestconfig.rootpath / folder if folder else None
    with run_emulator(fixtures) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _push_emulator_reset(request: pytest.FixtureRequest) -> None:
    # Only tests that use the emulator pay for a reset, and start from a clean one.
    if "push_emulator" in request.fixturenames:
        emulator: RunningEmulator = request.getfixturevalue("push_emulator")
        emulator.client.reset()
