"""The pytest plugin: `push_emulator` served once per session (or one already running) and
reset before each test, and `push_emulator_user`, an API user of a test's own."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emulator.testing import Emulator, EmulatorUser

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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "push_outcomes(*rules): device outcome rules in force for this test's push_emulator "
        "(the rules of PUT /_emulator/device-outcomes)",
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    for name, (help_text, kind, default) in INI_OPTIONS.items():
        parser.addini(name, help_text, type=kind, default=default)
    parser.getgroup("push-emulator").addoption(
        "--push-emulator-url",
        default=None,
        metavar="URL",
        help="use the emulator already running at URL (e.g. a compose stack's) instead of "
        "starting one [env PUSH_EMULATOR_URL]",
    )


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
def push_emulator(
    pytestconfig: pytest.Config, push_emulator_settings: dict[str, Any]
) -> Iterator["Emulator"]:
    """The emulator on a free port (one per pytest-xdist worker), or the one at
    --push-emulator-url / $PUSH_EMULATOR_URL: `.base_url` for the code under test,
    `.client` to look. A served one is a RunningEmulator, with `.runtime` at hand."""
    url = pytestconfig.getoption("push_emulator_url") or os.environ.get("PUSH_EMULATOR_URL")
    if url:
        from emulator.testing import connect_emulator

        with connect_emulator(url, push_emulator_settings.get("admin_token")) as running:
            yield running
        return
    # Imported here: every pytest run in an environment with the package loads this plugin,
    # and only the sessions that use the fixture should pay for importing the server.
    from emulator.testing import run_emulator

    settings = dict(push_emulator_settings)
    fixtures = settings.pop("fixtures", None)
    if isinstance(fixtures, str):
        fixtures = Path(fixtures)
    with run_emulator(fixtures, **settings) as emulator:
        yield emulator


@pytest.fixture
def push_emulator_user(push_emulator: "Emulator") -> Iterator["EmulatorUser"]:
    """A fresh API user for one test: `.headers` (or `.userkey`/`.password`) for the code
    under test, `.client` scoped to its sends. Removed, with all it sent, afterwards; the
    emulator is not reset, so other tests and suites sharing it keep their data."""
    from emulator.testing import new_api_user

    with new_api_user(push_emulator) as user:
        yield user


@pytest.fixture(autouse=True)
def _push_emulator_reset(request: pytest.FixtureRequest) -> Iterator[None]:
    # Only tests that use the emulator pay for a reset, and each starts from a clean one
    # (sends, journal, clock, the fixtures' devices and contacts, no outcome rules but a
    # push_outcomes mark's); a test with a user of its own needs none (and must not wipe
    # other users' data). Tokens from /rest/login are kept (unless the ini says not to), so
    # an app client logged in once per module or session keeps working.
    names = request.fixturenames
    if "push_emulator" not in names or "push_emulator_user" in names:
        yield
        return
    emulator: Emulator = request.getfixturevalue("push_emulator")
    emulator.client.reset(keep_tokens=bool(request.config.getini("push_emulator_keep_tokens")))
    rules = [rule for mark in request.node.iter_markers("push_outcomes") for rule in mark.args]
    if rules:
        emulator.client.set_outcomes(*rules)
    yield
    # A test that moved the clock leaves real time behind it, for whatever runs next.
    if _clock_mode(emulator) != "real":
        emulator.client.clock.real()


def _clock_mode(emulator: "Emulator") -> str:
    runtime = getattr(emulator, "runtime", None)  # a served one's, without a request
    if runtime is not None:
        return str(runtime.clock.mode)
    return str(emulator.client.clock.get()["mode"])
