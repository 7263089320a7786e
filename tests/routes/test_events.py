"""GET /_emulator/events: a Server-Sent Events stream that ends on disconnect and shutdown."""

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient

from emulator.storage.tables import COMPLETED
from emulator.testing import run_emulator
from tests.support.app import runtime_of
from tests.support.demo import DEMO, inline_send
from tests.support.inspecting import hold_dispatcher, post_send, send_id_of, set_status


@pytest.fixture(autouse=True)
def _held(client: TestClient) -> None:
    hold_dispatcher(client)


def events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, data) of each event. A keep-alive means nothing came for a while: a test
    waiting for an event fails then rather than hang."""
    kind = None
    for line in lines:
        assert line != ": keep-alive", "the expected event never came"
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind is not None:
            yield kind, orjson.loads(line.removeprefix("data: "))
            kind = None


def test_the_stream_carries_requests_sends_status_changes_and_resets(
    client: TestClient,
) -> None:
    with client.stream("GET", "/_emulator/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = response.iter_lines()
        assert next(lines) == ": connected"  # subscribed from here on
        answer = post_send(client)
        stream = events(lines)
        seen = dict([next(stream), next(stream)])  # the send and its journal row, any order
        assert seen["send"] == {
            "id": send_id_of(client, answer["transactionId"]),
            "trackingId": answer["data"]["trackingId"],
            "status": "Queued",
            "sendKind": "instant",
            "apiUser": "demo-user",
        }
        assert seen["request"] == {
            "method": "POST",
            "path": "/rest/push/sendInstant",
            "status": 200,
            "apiUser": "demo-user",
        }
        set_status(client, seen["send"]["id"], COMPLETED)
        assert next(stream) == (
            "send.status",
            {"id": seen["send"]["id"], "trackingId": None, "status": COMPLETED},
        )
        client.post("/_emulator/reset")
        assert next(stream) == ("reset", {})


def test_kinds_narrow_the_stream(client: TestClient) -> None:
    with client.stream("GET", "/_emulator/events", params={"kinds": "reset"}) as response:
        lines = response.iter_lines()
        assert next(lines) == ": connected"
        post_send(client)
        client.post("/_emulator/reset")
        assert next(events(lines)) == ("reset", {})


def test_a_client_that_leaves_is_unsubscribed(client: TestClient) -> None:
    bus = runtime_of(client).events
    before = bus.subscriber_count
    with client.stream("GET", "/_emulator/events") as response:
        lines = response.iter_lines()
        assert next(lines) == ": connected"
        assert bus.subscriber_count == before + 1
    assert bus.subscriber_count == before


def test_open_streams_end_cleanly_when_the_real_server_stops() -> None:
    received: list[tuple[str, dict[str, Any]]] = []
    connected = threading.Event()
    ended = threading.Event()
    with run_emulator() as emulator:

        def listen() -> None:
            with httpx.stream("GET", f"{emulator.url}/_emulator/events", timeout=60) as response:
                lines = response.iter_lines()
                assert next(lines) == ": connected"
                connected.set()
                received.extend(events(lines))
            ended.set()

        listener = threading.Thread(target=listen, daemon=True)
        listener.start()
        assert connected.wait(30)
        sent = httpx.post(f"{emulator.base_url}/push/sendInstant", json=inline_send(), headers=DEMO)
        assert sent.status_code == 200
        assert emulator.client.wait_for_sends()  # fanned out by the dispatcher: Completed
    # The block ended: the server stopped although a stream was open, and the stream ended.
    assert ended.wait(30)
    listener.join(30)
    assert (
        "send",
        {
            "id": 1,
            "trackingId": sent.json()["data"]["trackingId"],
            "status": "Queued",
            "sendKind": "instant",
            "apiUser": "demo-user",
        },
    ) in received


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"kinds": "send,sends"}, "kinds: unknown kind 'sends'; did you mean 'send'? Known: "),
        ({"kind": "send"}, "unknown filter 'kind'; did you mean 'kinds'? Known: kinds"),
    ],
)
def test_an_unknown_kind_or_parameter_is_a_400_not_a_quiet_stream(
    client: TestClient, params: dict[str, str], problem: str
) -> None:
    response = client.get("/_emulator/events", params=params)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error.startswith(problem)
