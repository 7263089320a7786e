"""The event bus: ids and times given once, in one order, and subscribers that can always be
cancelled, even as an event arrives."""

import asyncio
import threading
from datetime import UTC, datetime

from emulator.events import Event, EventBus


def test_a_cancel_that_lands_as_an_event_arrives_still_cancels() -> None:
    """On Python 3.11, asyncio.wait_for swallowed this cancel; the pruner then never stopped
    and the server's shutdown hung (seen as a rare hang of a whole test run)."""

    async def scenario() -> bool:
        bus = EventBus()
        async with bus.subscribe() as subscription:

            async def consume() -> None:
                while True:
                    await subscription.next(60)

            task = asyncio.create_task(consume())
            await asyncio.sleep(0)
            subscription._put(Event("send"))  # the waiting get completes...
            task.cancel()  # ...and the cancel lands in the same loop iteration
            done, _ = await asyncio.wait({task}, timeout=1)
            if not done:
                task.cancel()
            return task in done and task.cancelled()

    assert all(asyncio.run(scenario()) for _ in range(20))


def test_next_times_out_with_none() -> None:
    async def scenario() -> Event | None:
        async with EventBus().subscribe() as subscription:
            return await subscription.next(0.01)

    assert asyncio.run(scenario()) is None


def test_every_event_gets_the_next_id_and_the_time_of_the_bus_clock() -> None:
    moment = datetime(2030, 1, 1, tzinfo=UTC)
    seen: list[Event] = []
    bus = EventBus(lambda: moment)
    bus.publish("request", path="/rest/login")  # no one listens yet: numbered all the same
    stop = bus.listen(seen.append)
    bus.publish("send", id=7)
    bus.publish("reset")
    stop()
    bus.publish("reset")
    assert [(e.id, e.kind, e.data, e.at) for e in seen] == [
        (2, "send", {"id": 7}, moment),
        (3, "reset", {}, moment),
    ]


def test_listeners_see_one_order_when_threads_publish_at_once() -> None:
    bus = EventBus()
    seen: list[int] = []
    bus.listen(lambda event: seen.append(event.id))

    def publish_many() -> None:
        for _ in range(500):
            bus.publish("request")

    threads = [threading.Thread(target=publish_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == list(range(1, 2001))


def test_a_failing_listener_does_not_stop_the_others() -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(_event: Event) -> None:
        raise RuntimeError("boom")

    bus.listen(broken)
    bus.listen(lambda event: seen.append(event.kind))
    bus.publish("reset")
    assert seen == ["reset"]


def test_a_device_feed_hears_its_own_pushes_and_the_shutdown_only() -> None:
    async def scenario() -> tuple[list[str], list[str], frozenset[str]]:
        bus = EventBus()
        async with bus.subscribe(device="tok-a") as feed, bus.subscribe() as everything:
            watched = bus.watched_devices()
            bus.publish_push("tok-b", {"title": "not mine"})
            bus.publish_push("tok-a", {"title": "mine"})
            bus.publish("send", id=1)
            bus.publish("shutdown")
            await asyncio.sleep(0)
            heard = []
            while (event := await feed.next(0.01)) is not None:
                heard.append(f"{event.kind} {event.data.get('title', '')}".strip())
            general: list[str] = []
            while (event := await everything.next(0.01)) is not None:
                general.append(event.kind)
        assert bus.watched_devices() == frozenset()
        return heard, general, watched

    heard, general, watched = asyncio.run(scenario())
    assert heard == ["push mine", "shutdown"]
    assert general == ["send", "shutdown"]  # pushes go to device feeds only
    assert watched == {"tok-a"}
