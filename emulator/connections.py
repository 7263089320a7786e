"""The HTTP protocol the server runs: a deadline for each request to arrive, a header byte cap.

uvicorn's `timeout_keep_alive` only covers the gap between two requests on a connection. A
client that connects and says nothing, or sends its headers or body a byte at a time, holds
a socket (and a file descriptor) for as long as it likes: 320 such sockets once exhausted
the process's descriptors. This protocol gives every request EMULATOR_REQUEST_TIMEOUT
seconds from its first byte (or from the connection, for the first) to its last, and stops
reading headers that pass EMULATOR_MAX_HEADER_BYTES before they end.
"""

import asyncio
from typing import Any, ClassVar

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from emulator.settings import Settings

# The request line comes on top of the headers' cap: a long URL is no header.
REQUEST_LINE_ROOM = 16 * 1024
# What the journal records for a request whose body never arrived in full.
TIMED_OUT = 408

_REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large"}


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a per-request arrival deadline and a header cap.

    Phases of a connection: "idle" (waiting for a request's first byte), "headers", "body",
    "answering" (the request has arrived; the app may take as long as it needs, and event
    streams stay open). The deadline runs from "idle" at connect, and from "headers"
    after that, until the request has arrived; between requests uvicorn's keep-alive
    timeout closes an idle connection as before.

    Deadlines are plain numbers that one sweep per server checks a few times a second: a
    timer per request (cancelled at once, almost always) measurably slowed sends, as the
    event loop's heap filled with thousands of cancelled timers.
    """

    request_timeout: ClassVar[float] = 30.0
    max_header_bytes: ClassVar[int] = 64 * 1024
    # Per server (protocol_for makes a class per server): its open connections, its sweep.
    _open: ClassVar["set[GuardedHttpProtocol]"]
    _sweep: ClassVar[asyncio.TimerHandle | None]

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._phase = "idle"
        self._header_bytes = 0
        self._deadline: float | None = None
        self._arm()
        cls = type(self)
        cls._open.add(self)
        if cls._sweep is None:
            cls._sweep = self.loop.call_later(cls._interval(), cls._sweep_all, self.loop)

    def connection_lost(self, exc: Exception | None) -> None:
        type(self)._open.discard(self)
        super().connection_lost(exc)

    # -- the deadline ---------------------------------------------------------------------

    @classmethod
    def _interval(cls) -> float:
        return min(1.0, cls.request_timeout / 4)

    @classmethod
    def _sweep_all(cls, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for connection in list(cls._open):
            if connection._deadline is not None and now >= connection._deadline:
                connection._timed_out()
        # Sweeps stop with the last connection; the next one starts them again.
        cls._sweep = loop.call_later(cls._interval(), cls._sweep_all, loop) if cls._open else None

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.time() + self.request_timeout

    def _disarm(self) -> None:
        self._deadline = None

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        phase = self._phase
        if phase == "headers":
            self._refuse(TIMED_OUT, f"the request's headers did not arrive within {self._limit}")
        elif phase == "body":
            self._refuse(TIMED_OUT, f"the request's body did not arrive within {self._limit}")
        else:
            self.transport.close()  # silent since it connected: nothing to answer

    @property
    def _limit(self) -> str:
        return f"{self.request_timeout:g} s; see EMULATOR_REQUEST_TIMEOUT"

    # -- parser callbacks -----------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # Counted after parsing: only a chunk that leaves the headers unfinished is all
        # header, so memory stays within the cap and one read.
        if self._phase in {"idle", "headers"} and not self.transport.is_closing():
            self._header_bytes += len(data)
            if self._header_bytes > self.max_header_bytes + REQUEST_LINE_ROOM:
                self._refuse(431, f"headers: must be at most {self.max_header_bytes} bytes in all")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._phase = "headers"
        self._arm()

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._phase, self._header_bytes = "body", 0

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._phase = "answering"
        self._disarm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self._phase == "answering":
            self._phase = "idle"

    # -- answering without the app --------------------------------------------------------

    def _refuse(self, status: int, message: str) -> None:
        """Answer in the envelope (unless the app already is) and close the connection."""
        self._disarm()
        cycle = self.cycle
        if self._phase == "body" and cycle is not None and not cycle.response_complete:
            # The app is waiting for the rest of the body: it now hears a disconnect, and
            # the journal records what the client was told.
            cycle.scope["state"]["closed_as"] = status
            cycle.scope["state"]["error"] = message
            answered = cycle.response_started
            cycle.disconnected = True
            cycle.message_event.set()
        else:
            answered = cycle is not None and not cycle.response_complete  # a pipelined one
        if not answered:
            self.transport.write(_response(status, message))
        self.transport.close()


def _response(status: int, message: str) -> bytes:
    body = orjson.dumps({"code": status, "message": message})
    return b"".join(
        [
            b"HTTP/1.1 %d %s\r\n" % (status, _REASONS[status]),
            b"content-type: application/json\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
    )


def protocol_for(settings: Settings) -> type[GuardedHttpProtocol]:
    """The protocol class with this server's limits (uvicorn builds one per connection)."""
    limits: dict[str, Any] = {
        "request_timeout": settings.request_timeout,
        "max_header_bytes": settings.max_header_bytes,
        "_open": set(),
        "_sweep": None,
    }
    return type("EmulatorHttpProtocol", (GuardedHttpProtocol,), limits)
