"""Serving the emulator: uvicorn as configured here, ending open streams at shutdown; sockets."""

import contextlib
import errno
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import uvicorn

from emulator.connections import protocol_for
from emulator.events import SHUTDOWN
from emulator.runtime import Runtime
from emulator.settings import Settings

START_TIMEOUT = 30.0


class EmulatorServer(uvicorn.Server):
    """uvicorn waits for open responses before it stops; the event streams and waits of
    /_emulator would hold it forever, so they are told to end first."""

    def __init__(
        self,
        config: uvicorn.Config,
        runtime: Runtime,
        on_ready: Callable[[], None] | None = None,
        on_stop: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(config)
        self.runtime = runtime
        self.ready = threading.Event()
        self.on_ready = on_ready
        self.on_stop = on_stop

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        # Started means the lifespan ran and the sockets accept: requests are served now.
        if self.started and self.on_ready is not None:
            self.on_ready()
        self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.runtime.events.publish(SHUTDOWN)
        await super().shutdown(sockets)
        # Here, not after run(): uvicorn re-raises a SIGTERM once shut down, ending the process.
        if self.on_stop is not None:
            self.on_stop()


def server_config(app: Any, settings: Settings, log_level: str = "info") -> uvicorn.Config:
    """How every emulator server runs: its own lifespan, no access log, and the guarded HTTP
    protocol (a deadline for each request to arrive, a header cap; see connections.py)."""
    return uvicorn.Config(
        app,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        http=protocol_for(settings),
    )


class PortUnavailable(OSError):
    """The address cannot be bound; the message says which and why, in one line."""


def bound_socket(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on `host:port` (0: a free port), held so no one else takes it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        reason = (
            "is in use"
            if error.errno == errno.EADDRINUSE
            else (f"cannot be bound ({error.strerror})")
        )
        raise PortUnavailable(f"{host}:{port} {reason}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def free_port() -> int:
    """A port that was free a moment ago, for a server in another process to bind."""
    with contextlib.closing(bound_socket()) as sock:
        return int(sock.getsockname()[1])


def wait_until_ready(
    url: str, process: "subprocess.Popen[bytes] | None" = None, timeout: float = START_TIMEOUT
) -> None:
    """Until `url`/readyz answers 200; RuntimeError naming the exit code or the wait."""
    import httpx  # here: the server itself never makes a request

    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the emulator exited with {process.returncode} before it was ready")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} was not ready within {timeout:g} s")
        time.sleep(0.05)  # polling a port that is not open yet, not waiting on a result


@contextlib.contextmanager
def serve_process(
    command: Sequence[str],
    port: int,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = START_TIMEOUT,
    output: int | IO[bytes] | None = subprocess.DEVNULL,
    url: str | None = None,
    own_session: bool = False,
) -> Iterator["subprocess.Popen[bytes]"]:
    """Start a server command that listens on `port`, wait until it is ready, stop it after.

    `url` is where it answers (default http://127.0.0.1:<port>). With `own_session`, a
    Ctrl-C in the terminal does not reach it: the caller stops it, when it is done with it.
    """
    process = subprocess.Popen(  # noqa: S603 - our own server command, never input
        list(command),
        env=dict(env) if env is not None else None,
        cwd=cwd,
        stdout=output,
        stderr=subprocess.STDOUT if output == subprocess.PIPE else output,
        start_new_session=own_session,
    )
    try:
        wait_until_ready(url or f"http://127.0.0.1:{port}", process, timeout)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
