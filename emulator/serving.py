"""The uvicorn server for the emulator: tells open streams and waiters when it shuts down."""

import socket
import threading

import uvicorn

from emulator.runtime import Runtime


class EmulatorServer(uvicorn.Server):
    """uvicorn waits for open responses before it stops; the event streams and waits of
    /_emulator would hold it forever, so they are told to end first."""

    def __init__(self, config: uvicorn.Config, runtime: Runtime) -> None:
        super().__init__(config)
        self.runtime = runtime
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.runtime.events.publish("shutdown")
        await super().shutdown(sockets)
