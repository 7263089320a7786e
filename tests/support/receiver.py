"""A real webhook receiver on a free local port: records each POST, answers as told."""

import http.server
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from emulator.serving import free_port


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    raw: bytes

    @property
    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.raw)
        return data


@dataclass
class Receiver:
    url: str
    # The status of the n-th POST (from 0); past the list, the last one is repeated.
    statuses: list[int] = field(default_factory=lambda: [200])
    answer: bytes = b"ok"  # the body of every answer
    # While cleared, every POST is held unanswered (a slow receiver); set by default.
    gate: threading.Event = field(default_factory=threading.Event)
    received: list[Received] = field(default_factory=list)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def __post_init__(self) -> None:
        self.gate.set()

    def hold(self) -> None:
        self.gate.clear()

    def release(self) -> None:
        self.gate.set()

    def record(self, item: Received) -> int:
        with self._changed:
            self.received.append(item)
            self._changed.notify_all()
            index = len(self.received) - 1
        return self.statuses[min(index, len(self.statuses) - 1)]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """The first `count` POSTs, once they have arrived; AssertionError after `timeout`."""
        with self._changed:
            arrived = self._changed.wait_for(lambda: len(self.received) >= count, timeout)
            assert arrived, f"the receiver got {len(self.received)} of {count} POSTs"
            return list(self.received[:count])

    def bodies(self) -> list[dict[str, Any]]:
        with self._changed:
            return [item.body for item in self.received]


def _handler(receiver: Receiver) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("content-length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.record(Received(self.path, headers, raw))
            receiver.gate.wait(60)
            self.send_response(status)
            self.send_header("Content-Length", str(len(receiver.answer)))
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.end_headers()
            self.wfile.write(receiver.answer)

        def log_message(self, *_args: Any) -> None:
            pass

    return Handler


@contextmanager
def receiving(statuses: list[int] | None = None, path: str = "/hook") -> Iterator[Receiver]:
    """A receiver at http://127.0.0.1:<free port><path> until the block ends."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    server.daemon_threads = True
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}{path}")
    if statuses is not None:
        receiver.statuses = statuses
    server.RequestHandlerClass = _handler(receiver)
    thread = threading.Thread(target=server.serve_forever, name="receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()  # held requests answer, so the server can stop
        server.shutdown()
        server.server_close()
        thread.join(10)


def dead_url() -> str:
    """An address where nothing listens: every connection is refused."""
    return f"http://127.0.0.1:{free_port()}/hook"
