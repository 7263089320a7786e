"""The pytest plugin: a `push_emulator` served once per session and reset before each test."""

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emulator.testing import RunningEmulator

# ini option -> (help, type, default). Each but keep_tokens is a setting of the emulator.
INI_OPTIONS: dict[str, tuple[str, "Any", Any]] = {
    "push_emulator_fixtures": (
        "folder of fixture JSON files for the push_emulator fixture (default: the bundled ones)",
        "string",
        "",
    ),
    "push_emulator_strict": ("turn every contract warning into a 400", "bool", False),
    "push_emulator_seed": ("seed for generated ids and tokens (default: random)", "string", ""),
    "push_emulator_admin_token": ("admin token the /_emulator routes require", "string", ""),
    "push_emulator_keep_tokens": (
        "keep access tokens from /rest/login valid across the reset before each test",
        "bool",
        True,
    ),
}


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, (help_text, kind, default) in INI_OPTIONS.items():
        parser.addini(name, help_text, type=kind, default=default)


@pytest.fixture(scope="session")
def push_emulator_settings(pytestconfig: pytest.Config) -> dict[str, Any]:
    """Settings of the session's emulator, from the ini options: Settings fields (`strict`,
    `seed`, `admin_token`, `rate_capacity`, ...) and `fixtures` (a folder, or fixture data).
    Override this fixture in a conftest.py to change them for a whole session."""
    settings: dict[str, Any] = {"strict": bool(pytestconfig.getini("push_emulator_strict"))}
    folder = str(pytestconfig.getini("push_emulator_fixtures"))
    if folder:
        settings["fixtures"] = pytestconfig.rootpath / folder
    seed = str(pytestconfig.getini("push_emulator_seed")).strip()
    if seed:
        try:
            settings["seed"] = int(seed)
        except ValueError:
            raise pytest.UsageError(
                f"push_emulator_seed: must be an integer, got {seed!r}"
            ) from None
    admin_token = str(pytestconfig.getini("push_emulator_admin_token"))
    if admin_token:
        settings["admin_token"] = admin_token
    return settings


@pytest.fixture(scope="session")
def push_emulator(push_emulator_settings: dict[str, Any]) -> Iterator["RunningEmulator"]:
    """The emulator on a free port: `.base_url` for the code under test, `.client` to look."""
    # Imported here: every pytest run in an environment with the package loads this plugin,
    # and only the sessions that use the fixture should pay for importing the server.
    from emulator.testing import run_emulator

    settings = dict(push_emulator_settings)
    fixtures = settings.pop("fixtures", None)
    if isinstance(fixtures, str):
        fixtures = Path(fixtures)
    with run_emulator(fixtures, **settings) as emulator:
        yield emulator


@pytest.fixture(autouse=True)
def _push_emulator_reset(request: pytest.FixtureRequest) -> Iterator[None]:
    # Only tests that use the emulator pay for a reset, and each starts from a clean one.
    # Tokens from /rest/login are kept (unless the ini says not to), so an app client
    # logged in once per module or session keeps working.
    if "push_emulator" not in request.fixturenames:
        yield
        return
    emulator: RunningEmulator = request.getfixturevalue("push_emulator")
    emulator.client.reset(keep_tokens=bool(request.config.getini("push_emulator_keep_tokens")))
    yield
    # A test that moved the clock leaves real time behind it, for whatever runs next.
    if emulator.runtime.clock.mode != "real":
        emulator.client.clock.real()
