"""Test helpers: the real emulator on a free port in a thread, with a private database."""

import contextlib
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from emulator import REST_PREFIX
from emulator.app import create_app
from emulator.client import EmulatorClient, SendDetail, SendItem, WaitTimeout
from emulator.push.fixtures import FILES
from emulator.runtime import Runtime
from emulator.serving import START_TIMEOUT, EmulatorServer, bound_socket, server_config
from emulator.settings import BUNDLED_FIXTURES, Settings

__all__ = [
    "Emulator",
    "EmulatorClient",
    "EmulatorUser",
    "RunningEmulator",
    "SendDetail",
    "SendItem",
    "WaitTimeout",
    "connect_emulator",
    "new_api_user",
    "run_emulator",
]

Fixtures = Path | Mapping[str, Any] | None


@dataclass
class Emulator:
    """An emulator a test talks to: point the code under test at `base_url`; inspect with
    `client`. Started by this process (a RunningEmulator) or already running elsewhere."""

    url: str  # http://127.0.0.1:<port>
    base_url: str  # url + "/rest", what the real service's base URL is replaced with
    client: EmulatorClient


@dataclass
class RunningEmulator(Emulator):
    """An emulator served by this process, with its in-process state at hand."""

    runtime: Runtime  # the in-process state, for what the HTTP API does not offer
    settings: Settings


@dataclass
class EmulatorUser:
    """An API user of one's own on a shared emulator: the code under test sends as it
    (`headers`, or a login with `userkey` and `password`); `client` sees only its sends."""

    userkey: str
    password: str
    token: str  # a static token: `Authorization: Bearer <token>`, no login needed
    client: EmulatorClient  # every read, wait and clear scoped to this user

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@contextlib.contextmanager
def connect_emulator(url: str, admin_token: str | None = None) -> Iterator[Emulator]:
    """An emulator already running at `url` (a compose stack's, say); nothing is started."""
    url = url.rstrip("/")
    with EmulatorClient(url, admin_token=admin_token) as client:
        yield Emulator(url, url + REST_PREFIX, client)


@contextlib.contextmanager
def new_api_user(emulator: Emulator, **fields: Any) -> Iterator[EmulatorUser]:
    """A fresh API user for the block, removed with everything it sent afterwards."""
    created = emulator.client.create_user(**fields)
    try:
        with emulator.client.scoped(created["userkey"]) as client:
            yield EmulatorUser(
                created["userkey"], created["password"], created["tokens"][0], client
            )
    finally:
        emulator.client.delete_user(created["userkey"], purge=True)


def _write_fixtures(data: Mapping[str, Any], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        (folder / f"{name}.json").write_bytes(orjson.dumps(list(data.get(name, []))))
    unknown = sorted(set(data) - set(FILES))
    if unknown:
        raise ValueError(f"unknown fixture file(s) {', '.join(unknown)}; known: {', '.join(FILES)}")
    return folder


@contextlib.contextmanager
def run_emulator(fixtures: Fixtures = None, **settings: Any) -> Iterator[RunningEmulator]:
    """Serve on 127.0.0.1 and a free port with a temporary database until the block ends.

    `fixtures`: a folder, fixture data shaped like PUT /_emulator/fixtures, or None for the
    bundled demo fixtures. Other keywords are Settings fields (`admin_token`, `strict`, …).
    """
    with tempfile.TemporaryDirectory(prefix="push-emulator-") as temp:
        folder = BUNDLED_FIXTURES
        if isinstance(fixtures, Path):
            folder = fixtures
        elif fixtures is not None:
            folder = _write_fixtures(fixtures, Path(temp) / "fixtures")
        config = Settings(
            **{"db": Path(temp) / "emulator.db", "fixtures": folder, "port": 0, **settings}
        )
        app = create_app(config)
        runtime: Runtime = app.state.runtime
        # Bound here, so the port is known before the server runs and no other process
        # can take it in between.
        sock = bound_socket()
        port = sock.getsockname()[1]
        server = EmulatorServer(server_config(app, config, log_level="warning"), runtime)

        def serve() -> None:
            try:
                server.run(sockets=[sock])
            finally:
                server.ready.set()  # a server that failed to start wakes the caller too

        thread = threading.Thread(target=serve, name="push-emulator", daemon=True)
        thread.start()
        try:
            if not server.ready.wait(START_TIMEOUT) or not server.started:
                raise RuntimeError("the emulator did not start; see the log above")
            url = f"http://127.0.0.1:{port}"
            admin = config.admin_token.get_secret_value() if config.admin_token else None
            with EmulatorClient(url, admin_token=admin) as client:
                yield RunningEmulator(url, url + REST_PREFIX, client, runtime, config)
        finally:
            server.should_exit = True
            thread.join(START_TIMEOUT)
            sock.close()
