"""The pytest plugin: a `push_emulator` served once per session and reset before each test."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from emulator.testing import RunningEmulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "push_outcomes(*rules): device outcome rules in force for this test's push_emulator "
        "(the rules of PUT /_emulator/device-outcomes)",
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "push_emulator_fixtures",
        "folder of fixture JSON files for the push_emulator fixture (default: the bundled ones)",
        type="string",
        default="",
    )


@pytest.fixture(scope="session")
def push_emulator(pytestconfig: pytest.Config) -> Iterator["RunningEmulator"]:
    """The emulator on a free port: `.base_url` for the code under test, `.client` to look."""
    # Imported here: every pytest run in an environment with the package loads this plugin,
    # and only the sessions that use the fixture should pay for importing the server.
    from emulator.testing import run_emulator

    folder = str(pytestconfig.getini("push_emulator_fixtures"))
    fixtures: Path | None = pytestconfig.rootpath / folder if folder else None
    with run_emulator(fixtures) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _push_emulator_reset(request: pytest.FixtureRequest) -> None:
    # Only tests that use the emulator pay for a reset, and each starts from a clean one:
    # sends, journal, clock, the fixtures' devices and contacts, no outcome rules.
    if "push_emulator" in request.fixturenames:
        emulator: RunningEmulator = request.getfixturevalue("push_emulator")
        emulator.client.reset()
        rules = [rule for mark in request.node.iter_markers("push_outcomes") for rule in mark.args]
        if rules:
            emulator.client.set_outcomes(*rules)
