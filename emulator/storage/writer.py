"""The single database writer: batches writes from many requests into one durable commit."""

import asyncio
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine
from sqlmodel import SQLModel

from emulator.logthrottle import LogThrottle
from emulator.storage.rows import insert_rows

log = logging.getLogger("emulator.writer")
# A full disk fails every write the same way: one traceback, then a line a second.
_failures = LogThrottle(log)

T = TypeVar("T")
Write = Callable[[Connection], Any]

# A batch is cut at this many queued items so one burst cannot hold every reply at once.
MAX_BATCH = 512


class WriterClosed(RuntimeError):
    pass


@dataclass
class _Call:
    """A write whose caller waits, on the event loop (waiter) or on another thread (future)."""

    write: Write
    waiter: "asyncio.Future[Any] | None" = None
    future: "Future[Any] | None" = None


@dataclass
class _Row:
    """A row nobody waits for (a journal entry); `committed` runs after its batch commits."""

    model: type[SQLModel]
    row: dict[str, Any]
    committed: Callable[[dict[str, Any]], None] | None = None


class Writer:
    """Every write goes through here, and each caller hears of it only after its commit.

    SQLite takes one writer at a time and a durable commit costs an fsync, so writes that
    queue up while one commit is under way are committed together (group commit). The
    statements run on the event loop's thread, where the requests that made them already
    hold the GIL; only the commit itself, which waits on the disk, runs on a helper thread.
    A writer thread doing the inserts measured ~40% slower: each time it took the GIL back
    from the loop both stalled (the GIL convoy). Before `start()` (no server running, e.g. a
    unit test or a tool), writes commit inline on the caller's thread.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection = engine.connect()
        self._pending: list[_Call | _Row] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="emulator-commit")
        self._inline_lock = threading.Lock()
        self._closed = False
        self._stopping = False
        # Told each served batch's time to commit (seconds) and its size: the metrics.
        self.on_commit: Callable[[float, int], None] | None = None

    # -- life cycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Serve writes from the running event loop until `stop()`."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._wake = asyncio.Event()
        self._task = self._loop.create_task(self._flush_forever(), name="emulator-writer")

    async def stop(self) -> None:
        """Commit everything queued, then write inline again (or not at all once closed)."""
        task = self._task
        if task is not None and self._wake is not None:
            self._stopping = True
            self._wake.set()
            await task
        self._task = None
        self._loop = None
        self._stopping = False

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._committer.shutdown(wait=True)
        self._connection.close()

    # -- queueing writes --------------------------------------------------------------

    async def run(self, write: Callable[[Connection], T]) -> T:
        """Queue a write from the event loop and wait for its commit."""
        if not self._serving_here():
            return self._inline(write)
        assert self._loop is not None
        waiter: asyncio.Future[T] = self._loop.create_future()
        self._enqueue(_Call(write, waiter=waiter))
        return await waiter

    def submit(self, write: Callable[[Connection], T]) -> "Future[T]":
        """Queue a write from any other thread; the future completes after its commit."""
        future: Future[T] = Future()
        if self._task is None or self._loop is None:
            try:
                future.set_result(self._inline(write))
            except Exception as error:
                future.set_exception(error)
            return future
        if self._serving_here():
            raise RuntimeError("on the event loop, await Writer.run() instead of blocking")
        self._threadsafe(_Call(write, future=future))
        return future

    def run_sync(self, write: Callable[[Connection], T]) -> T:
        return self.submit(write).result()

    def append(
        self,
        model: type[SQLModel],
        row: dict[str, Any],
        committed: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        """Queue a row without waiting; rows of a batch are inserted with one executemany."""
        item = _Row(model, row, committed)
        if self._serving_here():
            self._enqueue(item)
        elif self._task is not None:
            self._threadsafe(item)
        else:
            self._check_open()
            with self._inline_lock:
                self._commit_inline([item])

    async def barrier(self) -> None:
        """Wait until everything queued before this call is committed (read-your-writes)."""
        await self.run(lambda _connection: None)

    @property
    def queue_depth(self) -> int:
        """Writes queued and not yet taken into a batch."""
        return len(self._pending)

    def _serving_here(self) -> bool:
        return self._task is not None and threading.get_ident() == self._loop_thread

    def _check_open(self) -> None:
        if self._closed:
            raise WriterClosed("the writer is closed")

    def _enqueue(self, item: _Call | _Row) -> None:
        self._check_open()
        self._pending.append(item)
        assert self._wake is not None
        self._wake.set()

    def _threadsafe(self, item: _Call | _Row) -> None:
        assert self._loop is not None
        try:
            self._loop.call_soon_threadsafe(self._enqueue, item)
        except RuntimeError as error:  # the loop has closed
            raise WriterClosed("the writer's event loop has stopped") from error

    def _inline(self, write: Callable[[Connection], T]) -> T:
        self._check_open()
        with self._inline_lock:
            try:
                with self._connection.begin():
                    return write(self._connection)
            except Exception:
                self._reset_connection()
                raise

    def _reset_connection(self) -> None:
        """A fresh connection after a failure, so no half-finished transaction outlives it.

        A commit that failed (a full disk) used to leave SQLAlchemy's transaction half
        closed: every later write then failed with "already initialized a Transaction" until
        a restart. Dropping the connection drops whatever state it was left in; the next
        write starts clean, and succeeds as soon as the disk has room again.
        """
        old = self._connection
        for step in (old.invalidate, old.close):
            try:
                step()
            except Exception as error:  # already broken: it is being thrown away
                log.debug("discarding the writer's connection: %s", error)
        self._connection = self._engine.connect()

    # -- committing -------------------------------------------------------------------

    async def _flush_forever(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[:MAX_BATCH]
                del self._pending[:MAX_BATCH]
                try:
                    await self._commit_batch(batch)
                except Exception as error:
                    # This task must outlive any one batch, or every later write would hang.
                    _failures.exception("a batch could not be written", error)
                    self._reset_connection()
                    _finish([(c, False, error) for c in batch if isinstance(c, _Call)], [])
            if self._stopping:
                return

    async def _commit_batch(self, batch: list[_Call | _Row]) -> None:
        assert self._loop is not None
        calls = [i for i in batch if isinstance(i, _Call) and _still_wanted(i)]
        rows = [i for i in batch if isinstance(i, _Row)]
        if self._connection.in_transaction():
            self._reset_connection()  # left open by a failed write; start clean
        started = time.perf_counter()
        transaction = self._connection.begin()
        try:
            _insert_grouped(self._connection, rows)
            results = [call.write(self._connection) for call in calls]
        except Exception:
            try:
                transaction.rollback()
            except Exception:
                self._reset_connection()
            # One bad write must not fail its neighbours: each gets its own transaction.
            with self._inline_lock:
                self._commit_each(calls, rows)
            return
        try:
            # The disk wait happens off the loop; nothing else touches the connection
            # meanwhile, since the next batch starts only after this await.
            await self._loop.run_in_executor(self._committer, transaction.commit)
        except Exception as error:
            _failures.exception(f"a commit failed; {len(batch)} writes were not stored", error)
            self._reset_connection()
            _finish([(call, False, error) for call in calls], [])
            return
        if self.on_commit is not None:
            self.on_commit(time.perf_counter() - started, len(batch))
        _finish([(call, True, r) for call, r in zip(calls, results, strict=True)], rows)

    def _commit_inline(self, batch: list[_Call | _Row]) -> None:
        calls = [i for i in batch if isinstance(i, _Call) and _still_wanted(i)]
        self._commit_each(calls, [i for i in batch if isinstance(i, _Row)])

    def _commit_each(self, calls: list[_Call], rows: list[_Row]) -> None:
        """Each write in a transaction of its own, so a failure stays with its caller."""
        outcomes: list[tuple[_Call, bool, Any]] = []
        stored: list[_Row] = []
        for row in rows:
            try:
                with self._connection.begin():
                    _insert_grouped(self._connection, [row])
                stored.append(row)
            except Exception as error:
                _failures.exception(f"a {row.model.__name__} row could not be stored", error)
                self._reset_connection()
        for call in calls:
            try:
                with self._connection.begin():
                    outcomes.append((call, True, call.write(self._connection)))
            except Exception as error:
                outcomes.append((call, False, error))
                self._reset_connection()
        _finish(outcomes, stored)


def _still_wanted(call: _Call) -> bool:
    if call.future is not None:
        return call.future.set_running_or_notify_cancel()
    return not (call.waiter is not None and call.waiter.cancelled())


def _finish(outcomes: list[tuple[_Call, bool, Any]], rows: list[_Row]) -> None:
    for call, ok, value in outcomes:
        target: Any = call.waiter if call.waiter is not None else call.future
        if target is None or (call.waiter is not None and call.waiter.done()):
            continue  # its caller gave up; the write stands regardless
        if ok:
            target.set_result(value)
        else:
            target.set_exception(value)
    for row in rows:
        if row.committed is not None:
            try:
                row.committed(row.row)
            except Exception:
                log.exception("a commit listener failed")


def _insert_grouped(connection: Connection, rows: list[_Row]) -> None:
    by_model: dict[type[SQLModel], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_model[row.model].append(row.row)
    for model, group in by_model.items():
        insert_rows(connection, model, group)
