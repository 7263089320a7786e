"""GET /_emulator/sends/wait: answers as soon as enough sends match, 408 with near misses,
and counts only when a send changes (no polling)."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from emulator.events import EventBus
from emulator.storage import sends as send_queries
from emulator.storage.tables import COMPLETED, SCHEDULED
from emulator.waiting import WaitOutcome, wait_for_count
from tests.support.inspecting import hold_dispatcher, post_send, send_id_of, set_status


@pytest.fixture(autouse=True)
def _held(client: TestClient) -> None:
    hold_dispatcher(client)


def counting(values: list[int]) -> tuple[Callable[[], int], "asyncio.Queue[int]"]:
    """A count function that reports each call (from its worker thread) on a queue."""
    loop = asyncio.get_running_loop()
    calls: asyncio.Queue[int] = asyncio.Queue()

    def count() -> int:
        # Read once: the test may change the value as soon as it hears of this call, before
        # this thread returns (reading it twice hung one run in a few hundred).
        value = values[0]
        loop.call_soon_threadsafe(calls.put_nowait, value)
        return value

    return count, calls


def test_the_wait_recounts_only_on_send_events_and_once_per_burst() -> None:
    async def scenario() -> tuple[WaitOutcome, int]:
        bus = EventBus()
        matching = [0]
        count, calls = counting(matching)
        waiter = asyncio.create_task(wait_for_count(bus, count, 2, timeout=60))
        await calls.get()  # subscribed, first count done
        for _ in range(50):
            bus.publish("request", method="POST", path="/rest/login", status=200)
        bus.publish("prune", sends=0)
        matching[0] = 1
        for _ in range(5):
            bus.publish("send", id=1, trackingId="t", status="Queued")
        assert await calls.get() == 1  # one count for 50 requests and a burst of 5 sends
        matching[0] = 2
        bus.publish("send.status", id=1, trackingId="t", status=COMPLETED)
        assert await calls.get() == 2
        outcome = await waiter
        return outcome, calls.qsize()

    outcome, extra_counts = asyncio.run(scenario())
    assert outcome == WaitOutcome(matched=2, satisfied=True)
    assert extra_counts == 0


def test_a_wait_with_no_events_counts_once_and_times_out() -> None:
    async def scenario() -> tuple[WaitOutcome, int]:
        count, calls = counting([1])
        outcome = await wait_for_count(EventBus(), count, 3, timeout=0.05)
        return outcome, calls.qsize()

    assert asyncio.run(scenario()) == (WaitOutcome(matched=1, satisfied=False), 1)


def test_a_wait_ends_when_the_server_shuts_down() -> None:
    async def scenario() -> WaitOutcome:
        bus = EventBus()
        count, calls = counting([0])
        waiter = asyncio.create_task(wait_for_count(bus, count, 1, timeout=60))
        await calls.get()
        bus.publish("shutdown")
        return await waiter

    assert asyncio.run(scenario()).shutting_down


def wait_in_background(client: TestClient, **params: Any) -> "Any":
    pool = ThreadPoolExecutor(1)
    future = pool.submit(client.get, "/_emulator/sends/wait", params=params)
    pool.shutdown(wait=False)
    return future


def test_a_wait_answers_as_soon_as_the_sends_arrive(client: TestClient) -> None:
    # A generous timeout: reaching it would be a 408, so a 200 proves the early answer.
    pending = wait_in_background(client, status="Queued", count=2, timeout=60, q="Hello")
    post_send(client)
    post_send(client, content={"title": "Other", "message": "not this one"})
    mine = post_send(client)
    response: httpx2.Response = pending.result(timeout=60)
    assert response.status_code == 200
    body = response.json()
    assert body["matched"] == 2
    assert body["items"][0]["transactionId"] == mine["transactionId"]
    assert len(body["items"]) == 2


def test_without_a_status_a_wait_is_for_completed_sends(client: TestClient) -> None:
    answer = post_send(client)
    pending = wait_in_background(client, trackingId=answer["data"]["trackingId"], timeout=60)
    set_status(client, send_id_of(client, answer["transactionId"]), COMPLETED)
    response = pending.result(timeout=60)
    assert response.status_code == 200
    assert response.json()["items"][0]["status"] == COMPLETED


def test_status_scheduled_waits_for_scheduled_sends(client: TestClient) -> None:
    post_send(client, scheduleDate="2099-01-01 10:00")
    response = client.get("/_emulator/sends/wait", params={"status": SCHEDULED, "timeout": 1e6})
    assert response.status_code == 200  # already there: no wait, even with a huge timeout
    assert response.json()["items"][0]["status"] == SCHEDULED


def test_a_timed_out_wait_is_a_408_with_the_three_newest_near_misses(
    client: TestClient,
) -> None:
    made = [post_send(client, content={"title": f"n{i}"})["transactionId"] for i in range(4)]
    response = client.get(
        "/_emulator/sends/wait", params={"q": "Welcome", "count": 2, "timeout": 0.1}
    )
    assert response.status_code == 408
    body = response.json()
    assert body["code"] == 408
    assert (body["matched"], body["count"], body["status"]) == (0, 2, COMPLETED)
    assert "0 of 2 Completed send(s) matched" in body["message"]
    assert [s["transactionId"] for s in body["nearMisses"]] == made[:0:-1]


def test_a_waiting_server_does_not_poll(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[object] = []
    real = send_queries.count_sends

    def counted(*args: Any) -> int:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr("emulator.waiting.count_sends", counted)
    response = client.get("/_emulator/sends/wait", params={"timeout": 0.5})
    assert response.status_code == 408
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [({"count": 0}, "count"), ({"timeout": -1}, "timeout"), ({"status": "Done"}, "status")],
)
def test_bad_wait_parameters_are_400s(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    response = client.get("/_emulator/sends/wait", params=params)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")
