"""Slow, silent and vanishing clients against a real server: each is closed or journaled, and
the server keeps answering everyone else."""

import os
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from emulator.serving import free_port, serve_process

pytestmark = pytest.mark.process

TIMEOUT = 1.0  # EMULATOR_REQUEST_TIMEOUT for these servers: short, so the tests are too
HEADERS = b"POST /rest/push/sendInstant HTTP/1.1\r\nHost: 127.0.0.1\r\n"


class Server:
    def __init__(self, url: str, port: int, log: Path) -> None:
        self.url, self.port, self.log = url, port, log

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def requests(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = httpx.get(f"{self.url}/_emulator/requests").json()["items"]
        return items


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("connections")
    port = free_port()
    command = [sys.executable, "-m", "emulator", "serve", "--port", str(port)]
    command += ["--db", str(folder / "e.db"), "--request-timeout", str(TIMEOUT)]
    log = folder / "server.log"
    with (
        log.open("wb") as output,
        serve_process(command, port, env=dict(os.environ), output=output.fileno()),
    ):
        yield Server(f"http://127.0.0.1:{port}", port, log)


def read_until_closed(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (10 s at most)."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_a_silent_connection_is_closed_after_the_timeout(server: Server) -> None:
    with server.connect() as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""  # closed with nothing to say
        assert time.monotonic() - started < TIMEOUT + 5


def test_headers_that_never_end_are_a_408(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(HEADERS)  # and never the blank line
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"did not arrive within 1 s; see EMULATOR_REQUEST_TIMEOUT" in answer


def test_a_body_that_never_ends_is_a_408_and_journaled(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(HEADERS + b"Authorization: Bearer demo-token\r\nContent-Length: 100\r\n\r\n{")
        answer = read_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    row = server.requests()[0]
    assert (row["status"], row["body"]) == (408, "{")
    assert "body did not arrive within 1 s" in row["error"]


def test_a_client_gone_mid_body_is_journaled_499_without_a_traceback(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(HEADERS + b"Content-Length: 1000\r\n\r\n" + b'{"content": ')
        time.sleep(0.2)  # let the server read that much before the client goes
    deadline = time.monotonic() + 10
    while (row := server.requests()[0])["body"] != '{"content": ':
        assert time.monotonic() < deadline, "the request was never journaled"
        time.sleep(0.05)  # the journal row is queued after the connection ends
    assert row["status"] == 499
    assert row["error"] == "the client disconnected before it was answered"
    assert b"Traceback" not in server.log.read_bytes()


def test_headers_past_the_cap_stop_being_read(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(HEADERS)
        try:
            for _ in range(100):  # 1.6 MB of one header, far past the 64 KiB cap
                sock.sendall(b"X-Filler: " + b"v" * 16_000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # closed while we were still sending: that is the point
        try:
            answer = read_until_closed(sock)
        except ConnectionResetError:
            answer = b""
    assert answer == b"" or answer.startswith(b"HTTP/1.1 431 ")


def test_hundreds_of_silent_sockets_are_all_closed_and_the_server_answers(server: Server) -> None:
    sockets = [server.connect() for _ in range(320)]
    try:
        assert httpx.get(f"{server.url}/livez", timeout=10).status_code == 200
        for sock in sockets:
            assert read_until_closed(sock) == b""
    finally:
        for sock in sockets:
            sock.close()
    assert httpx.get(f"{server.url}/livez", timeout=10).status_code == 200


def test_an_ordinary_slow_answer_is_not_cut_short(server: Server) -> None:
    # The deadline covers the request's arrival only: a wait longer than it still answers.
    response = httpx.get(
        f"{server.url}/_emulator/sends/wait", params={"count": 1, "timeout": 2}, timeout=10
    )
    assert response.status_code == 408  # the wait's own answer, after 2 s, not a cut
    assert response.json()["code"] == 408
