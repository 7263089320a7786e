"""The event bus: a waiting subscriber can always be cancelled, even as an event arrives."""

import asyncio

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


def test_a_device_feed_hears_its_own_pushes_and_the_shutdown_only() -> None:
    async def scenario() -> tuple[list[str], list[str], frozenset[str]]:
        bus = EventBus()
        async with bus.subscribe("tok-a") as feed, bus.subscribe() as everything:
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
