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
