"""Shared fixtures: settings on a temporary database, an in-process app, and a test client."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from emulator.app import EmulatorApp, create_app
from emulator.runtime import Runtime
from emulator.settings import BUNDLED_FIXTURES, Settings
from tests.support.wheel import Installed, build_and_install


@pytest.fixture(autouse=True, scope="session")
def _test_client_host() -> Iterator[None]:
    """Starlette's TestClient sends `Host: testserver`; every app a test builds answers it
    (the Host check's own tests name other hosts explicitly)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("EMULATOR_ALLOWED_HOSTS", "testserver")
        yield


@pytest.fixture
def fixtures_dir(tmp_path: Path) -> Path:
    """A private copy of the bundled fixtures that a test may edit."""
    target = tmp_path / "fixtures"
    shutil.copytree(BUNDLED_FIXTURES, target)
    return target


@pytest.fixture
def settings(tmp_path: Path, fixtures_dir: Path) -> Settings:
    return Settings(db=tmp_path / "data" / "emulator.db", fixtures=fixtures_dir)


@pytest.fixture
def app(settings: Settings) -> EmulatorApp:
    return create_app(settings)


@pytest.fixture
def client(app: EmulatorApp) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """The emulator's state with no server around it: writes commit inline, nothing runs in
    the background. For the framework-free modules' own tests."""
    started = Runtime.start(settings)
    yield started
    started.close()


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel, installed in a clean virtualenv outside the checkout; once per session."""
    return build_and_install(tmp_path_factory.mktemp("installed"))
