"""The single database writer: batches writes from many requests into one durable commit."""

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine

log = logging.getLogger("emulator.writer")

T = TypeVar("T")
Write = Callable[[Connection], Any]

# A batch is cut at this many writes so a burst cannot hold every caller's reply at once.
MAX_BATCH = 256


class WriterClosed(RuntimeError):
    pass


class Writer:
    """One thread owns every write; each caller learns its result only after the commit.

    SQLite takes one writer at a time, and a durable commit costs an fsync: writing from one
    thread and committing whatever has queued up meanwhile (group commit) turns many fsyncs
    into one, which is what lets a 200 wait for its commit and still be fast.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._queue: queue.SimpleQueue[tuple[Write, Future[Any]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="emulator-writer", daemon=True)
        self._closed = False
        self._thread.start()

    def submit(self, write: Callable[[Connection], T]) -> "Future[T]":
        """Queue a write; the future completes after the batch holding it is committed."""
        if self._closed:
            raise WriterClosed("the writer is closed")
        future: Future[T] = Future()
        self._queue.put((write, future))
        return future

    async def run(self, write: Callable[[Connection], T]) -> T:
        """Await a write's commit from the event loop."""
        return await asyncio.wrap_future(self.submit(write))

    def run_sync(self, write: Callable[[Connection], T]) -> T:
        return self.submit(write).result()

    async def barrier(self) -> None:
        """Wait until every write queued before this call is committed (read-your-writes)."""
        await self.run(lambda _connection: None)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            batch = [item]
            stop = False
            while len(batch) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch.append(more)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Write, "Future[Any]"]]) -> None:
        live = [(w, f) for w, f in batch if f.set_running_or_notify_cancel()]
        try:
            with self._engine.begin() as connection:
                results = [write(connection) for write, _ in live]
        except Exception:
            # One bad write must not fail its neighbours: retry each in its own transaction.
            log.debug("batch of %d failed; retrying one by one", len(live), exc_info=True)
            for write, future in live:
                try:
                    with self._engine.begin() as connection:
                        result = write(connection)
                except Exception as error:
                    future.set_exception(error)
                else:
                    future.set_result(result)
            return
        for (_, future), result in zip(live, results, strict=True):
            future.set_result(result)
