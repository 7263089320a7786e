"""The dispatcher: fans accepted sends out into deliveries when they are due, in the background."""

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, islice
from typing import Any

import orjson
from sqlalchemy import Engine

from emulator.clock import Clock
from emulator.events import EventBus
from emulator.fanout.audience import (
    Audience,
    AudienceIndexes,
    Recipient,
    iter_audience,
    iter_targets,
)
from emulator.fanout.deliveries import SendContent, delivery_rows
from emulator.fanout.personalise import INSTANT as INSTANT_TAGS
from emulator.fanout.personalise import TRANSACTIONAL as TRANSACTIONAL_TAGS
from emulator.fanout.personalise import Dialect, Misses
from emulator.fanout.plan import DeviceBehaviour, Planner
from emulator.fanout.settle import Settler, Unregister, publish_status
from emulator.push.fixtures import FixtureSet
from emulator.storage import dispatch
from emulator.storage.deliveries import DELIVERY_COLUMNS, DeliveryRow, engaged_tokens
from emulator.storage.dispatch import Job
from emulator.storage.rows import sql_datetime
from emulator.storage.tables import COMPLETED, SENDING, TRANSACTIONAL
from emulator.storage.writer import Writer, WriterClosed

log = logging.getLogger("emulator.dispatcher")

# Rows per writer operation: large enough that a fan-out is fast (one commit per chunk), small
# enough that a send arriving meanwhile waits for at most ~10 ms of delivery inserts.
CHUNK_SIZE = 1000
# Recipients rendered between two pauses that hand the GIL to the event loop.
SLICE = 200
# Chunks queued at the writer at once. One: the next chunk is rendered only after the last
# committed, so the writer is free for sends in between. (bench/fanout.py measured sends
# during a fan-out at p50 ~70 ms with two chunks of 2,000 in flight, ~12 ms with one of
# 1,000, and the fan-out was no slower.)
IN_FLIGHT = 1
# With a real (or offset) clock, look again at least this often even if no one wakes us, so
# a wall-clock jump cannot leave a due send waiting for long.
MAX_SLEEP = 30.0
MIN_SLEEP = 0.05
# Due sends dispatched together: the small ones among them are written in one transaction,
# one commit instead of three writer round trips each (bench/run.py's end-to-end figure).
BATCH_SIZE = 256
# Where a delivery row holds what its device shows, for the sample a Completed event carries.
_TITLE, _MESSAGE = DELIVERY_COLUMNS.index("title"), DELIVERY_COLUMNS.index("message")


class Dispatcher:
    """One background thread: due sends go Queued/Scheduled → Sending → Completed.

    It runs in a thread rather than on the event loop because rendering a large audience is
    CPU work; the loop keeps answering while deliveries are written through the writer in
    chunks, so sends accepted meanwhile commit between them. Each pass also settles what
    the clock has reached: delayed deliveries, planned opens (fanout/settle.py).
    """

    def __init__(
        self,
        engine: Engine,
        writer: Writer,
        clock: Clock,
        events: EventBus,
        fixtures: Callable[[], FixtureSet],
        indexes: AudienceIndexes,
        behaviour: DeviceBehaviour,
        unregister: Unregister,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self._engine = engine
        self._indexes = indexes
        self._writer = writer
        self._clock = clock
        self._events = events
        self._fixtures = fixtures
        self._behaviour = behaviour
        self._unregister = unregister
        self._settler = Settler(engine, writer, clock, events, unregister)
        self.chunk_size = chunk_size
        self._condition = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._pending = True  # a start-up scan is owed: sends left by the last run
        self._busy = False
        # Token clean-ups run here, one at a time and in order: rebuilding a large registry
        # takes a while (0.2 s for 100,000 devices), and small sends need not wait for it.
        self._cleaner = ThreadPoolExecutor(1, thread_name_prefix="emulator-cleanup")
        self._cleanups: list[Future[None]] = []
        self._wakes = 0  # counts wake() calls: a large fan-out checks it between chunks
        # Sends that failed to dispatch (by transaction id), so they are not retried in a loop.
        self._given_up: set[str] = set()
        # Told each chunk of delivery rows once it is committed (the metrics count outcomes).
        self.on_deliveries: Callable[[list[DeliveryRow]], None] | None = None

    # -- control -------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="emulator-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop between chunks; a send cut short stays Sending and is finished on next start."""
        with self._condition:
            self._stopping = True
            self._condition.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._cleaner.shutdown(wait=True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._stopping

    def wake(self) -> None:
        """Look for due sends now: after a send commits, or when the clock is moved."""
        with self._condition:
            self._pending = True
            self._wakes += 1
            self._condition.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until every send due so far is fanned out, and every delivery due so far is
        final (a delayed one stays Sent until the clock reaches it); False on timeout or when
        stopped.

        A test calls this after its send's 200 (the route wakes the dispatcher before
        answering) or after moving the clock, instead of sleeping.
        """
        with self._condition:
            settled = self._condition.wait_for(
                lambda: not self.running or (not self._busy and not self._pending), timeout
            )
            return bool(settled) and self.running

    async def idle(self, timeout: float | None = None) -> bool:
        return await asyncio.to_thread(self.wait_idle, timeout)

    # -- the loop ------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                with self._condition:
                    if self._stopping:
                        return
                    self._pending, self._busy = False, True
                try:
                    dispatched = self._dispatch_due()
                    settle_at = self._settler.settle_due()
                    sleep = self._sleep_for(settle_at)
                    if sleep is not None and not dispatched:
                        # Something looks due yet nothing went out (a send given up on):
                        # look again soon, but never spin.
                        sleep = max(sleep, MIN_SLEEP)
                except Exception:
                    log.exception("dispatcher pass failed")
                    sleep = MAX_SLEEP
                self._await_cleanups()
                with self._condition:
                    if self._pending:
                        continue
                    self._busy = False
                    self._condition.notify_all()
                    self._condition.wait_for(lambda: self._pending or self._stopping, sleep)
        finally:
            with self._condition:
                self._busy = False
                self._condition.notify_all()

    def _clean_up(self, cleaned: set[tuple[str, str]]) -> None:
        """Unregister these devices in the clean-up thread; the next pass may begin meanwhile."""
        self._cleanups.append(self._cleaner.submit(self._unregister, cleaned))

    def _await_cleanups(self) -> None:
        """Before the dispatcher says it is idle, every clean-up is done; but a send that
        arrives meanwhile is dispatched first, not after a registry rebuild."""
        while self._cleanups and not self._pending and not self._stopping:
            done, _waiting = wait(self._cleanups, timeout=0.01)
            for future in done:
                self._cleanups.remove(future)
                if future.exception() is not None:
                    log.error("a token clean-up failed", exc_info=future.exception())

    def _sleep_for(self, settle_at: datetime | None) -> float | None:
        """Until the next scheduled send, delayed delivery or planned open is due; forever
        (until woken) with a frozen clock."""
        due = [t for t in (dispatch.next_scheduled_at(self._engine), settle_at) if t is not None]
        next_at = min(due) if due else None
        if next_at is None or self._clock.mode == "frozen":
            return None
        seconds = (next_at - self._clock.now()).total_seconds()
        return min(max(seconds, 0.0), MAX_SLEEP)

    def _dispatch_due(self, small_only: bool = False, busy_with: int | None = None) -> int:
        """Dispatch every send due now, in batches; how many were tried.

        `small_only` is the pass run between two chunks of a large fan-out (`busy_with`):
        small sends go out meanwhile, other large ones wait for the next full pass."""
        due = [
            send_id
            for send_id, transaction_id in dispatch.due_sends(self._engine, self._clock.now())
            if transaction_id not in self._given_up and send_id != busy_with
        ]
        for start in range(0, len(due), BATCH_SIZE):
            if self._stopping:
                break
            self._dispatch_batch(due[start : start + BATCH_SIZE], small_only)
        return len(due)

    def _dispatch_batch(self, send_ids: list[int], small_only: bool) -> None:
        """Small sends (one chunk of deliveries or fewer) are rendered, then written in one
        transaction; large ones, and any a crash cut short, are fanned out after them in
        chunks, one by one, so a big audience never holds the small sends back."""
        small: list[_Rendered] = []
        large: list[tuple[Job, Iterator[Recipient], Dialect]] = []
        rendered = 0
        # A burst often repeats one content (a test loop, a load test): compiled once.
        compiled: dict[tuple[bytes, bool], SendContent] = {}
        for job in dispatch.load_jobs(self._engine, send_ids):
            if self._stopping:
                return
            try:
                recipients, dialect = self._recipients(job)
                first = list(islice(recipients, self.chunk_size + 1))
                if job.status == SENDING or len(first) > self.chunk_size:
                    large.append((job, chain(first, recipients), dialect))
                else:
                    small.append(self._render(job, first, dialect, compiled))
                    rendered += len(first)
            except Exception as error:
                self._give_up(job.id, error)
            if rendered >= SLICE:
                # Hand the GIL to the event loop every SLICE recipients, as _fan_out does.
                # Not after every send: each pause can wait a whole switch interval (5 ms)
                # to get it back, and a batch of small sends would crawl.
                rendered = 0
                time.sleep(0)
        self._write_batch(small)
        if small_only:
            return
        for job, recipients, dialect in large:
            if self._stopping:
                return
            try:
                self._fan_out(job, recipients, dialect)
            except Exception as error:
                self._give_up(job.id, error)

    def _render(
        self,
        job: Job,
        recipients: list[Recipient],
        dialect: Dialect,
        compiled: dict[tuple[bytes, bool], SendContent],
    ) -> "_Rendered":
        # orjson: the content was stored and read back through it, so it always encodes.
        key = (orjson.dumps(job.content, option=orjson.OPT_SORT_KEYS), dialect.transactional)
        content = compiled.get(key)
        if content is None:
            content = compiled[key] = SendContent.compile(job.content, dialect)
        misses, planner, created_at = self._start(job, dialect)
        rows = list(
            delivery_rows(job.id, content, recipients, created_at, misses, planner, job.language)
        )
        warnings = [*job.warnings, *content.warnings, *misses.warnings(len(rows))]
        return _Rendered(job, rows, list(dict.fromkeys(warnings)), planner)

    def _start(self, job: Job, dialect: Dialect) -> tuple[Misses, Planner, str]:
        """What a send's rendering keeps as it goes: the personalisation misses, the planner
        that decides each delivery's outcome, delay and opens, and the rows' time."""
        now = self._clock.now()
        misses = Misses(transactional=dialect.transactional)
        return misses, self._behaviour.planner(job.transaction_id, now), sql_datetime(now)

    def _write_batch(self, batch: list["_Rendered"]) -> None:
        """One writer round trip for the whole batch; the events after its commit."""
        if not batch:
            return
        items = [(rendered.job, rendered.rows, rendered.warnings) for rendered in batch]
        write = dispatch.fan_out_batch(items, self._events.watched_devices(), self._clock.now())
        try:
            results = self._writer.run_sync(write)
        except WriterClosed:
            return  # shutting down: left as they were, the next start dispatches them
        except Exception:
            if self._stopping:
                return
            # One send's rows broke the transaction: each alone, so only that one fails.
            log.exception("a batch of %d sends failed; dispatching them one by one", len(batch))
            for rendered in batch:
                try:
                    self.dispatch(rendered.job.id)
                except Exception as error:
                    self._give_up(rendered.job.id, error)
            return
        done = [(r, result) for r, result in zip(batch, results, strict=True) if result]
        cleaned: set[tuple[str, str]] = set()
        for rendered, (_status, shown) in done:
            rendered.job.status = SENDING
            self._publish_status(rendered.job, SENDING)
            if self.on_deliveries is not None and rendered.rows:
                self.on_deliveries(rendered.rows)
            for item in shown:
                self._events.publish_push(item["token"], item)
            cleaned |= rendered.planner.cleaned
        if cleaned:
            self._clean_up(cleaned)  # once per batch: it rebuilds the device registry
        for rendered, (status, _shown) in done:
            if status == COMPLETED:
                self._publish_completed(rendered.job, rendered.rows[0] if rendered.rows else None)

    # -- one send ------------------------------------------------------------------------

    def dispatch(self, send_id: int) -> None:
        """Fan one send out and complete it; safe to repeat after a crash (no duplicates)."""
        send = dispatch.load_job(self._engine, send_id)
        if send is None or send.status == COMPLETED:
            return  # pruned or reset meanwhile, or finished by an earlier pass
        self._fan_out(send, *self._recipients(send))

    def _fan_out(self, send: Job, recipients: Iterator[Recipient], dialect: Dialect) -> None:
        """A send's deliveries in chunks, each its own writer operation, with the small sends
        that fall due meanwhile dispatched between chunks."""
        if send.status != SENDING and not self._set_status(send, SENDING):
            return
        content = SendContent.compile(send.content, dialect)
        misses, planner, created_at = self._start(send, dialect)
        total = 0
        sample: DeliveryRow | None = None
        in_flight: list[tuple[Future[list[dict[str, Any]] | None], list[DeliveryRow]]] = []
        exhausted = False
        wakes = self._wakes
        while not exhausted and not self._stopping:
            rows: list[DeliveryRow] = []
            while len(rows) < self.chunk_size:
                wanted = min(SLICE, self.chunk_size - len(rows))
                batch = list(islice(recipients, wanted))
                rows += delivery_rows(
                    send.id, content, batch, created_at, misses, planner, send.language
                )
                if len(batch) < wanted:
                    exhausted = True
                    break
                # Hand the GIL to the event loop: without this pause it waits a whole switch
                # interval (5 ms) at every step of a request, and send latency balloons.
                time.sleep(0)
            if rows:
                sample = sample or rows[0]
                total += len(rows)
                watched = self._events.watched_devices()
                chunk = self._writer.submit(dispatch.insert_chunk(send, rows, watched))
                in_flight.append((chunk, rows))
            if len(in_flight) >= IN_FLIGHT and not self._committed(*in_flight.pop(0)):
                return  # the send is gone: nothing left to complete
            if self._wakes != wakes and not exhausted:
                # Sends arrived meanwhile: the small ones go out now, not after this one.
                wakes = self._wakes
                self._dispatch_due(small_only=True, busy_with=send.id)
        if not all([self._committed(*chunk) for chunk in in_flight]):
            return
        if self._stopping:
            return  # left Sending: the next start finishes it without duplicating rows
        if planner.cleaned:
            self._clean_up(planner.cleaned)
        warnings = [*content.warnings, *misses.warnings(total)]
        self._complete(send, warnings, sample)

    def _recipients(self, send: Job) -> tuple[Iterator[Recipient], Dialect]:
        """Who the send reaches, and how its content is personalised for them."""
        fixtures = self._fixtures()
        if send.kind == TRANSACTIONAL:
            # The devices were chosen at acceptance (the answer depended on them).
            return iter_targets(
                fixtures, send.targets or [], send.current or {}
            ), TRANSACTIONAL_TAGS
        audience = Audience(
            application_ids=list(send.application_ids),
            segment_id=send.segment_id,
            table_id=send.table_id,
            use_only_engaged=send.use_only_engaged,
            engaged_tokens=(
                engaged_tokens(self._engine, send.application_ids)
                if send.use_only_engaged
                else frozenset()
            ),
        )
        return iter_audience(self._indexes.of(fixtures), audience), INSTANT_TAGS

    def _committed(
        self, chunk: "Future[list[dict[str, Any]] | None]", rows: list[DeliveryRow]
    ) -> bool:
        """Wait for a chunk's commit, then tell the metrics what was written and the device
        feeds what they were shown; False when its send was gone (nothing was written)."""
        shown = chunk.result()
        if shown is None:
            return False
        if self.on_deliveries is not None:
            self.on_deliveries(rows)
        for item in shown:
            self._events.publish_push(item["token"], item)
        return True

    def _set_status(self, send: Job, status: str) -> bool:
        """Move a send on if no one else did (a reset may have removed it); publish after."""
        if not self._writer.run_sync(dispatch.move_status(send, status, self._clock.now())):
            return False
        send.status = status
        self._publish_status(send, status)
        return True

    def _complete(self, send: Job, new_warnings: list[str], sample: DeliveryRow | None) -> None:
        # Per-recipient warnings are aggregated per send (one line per field and cause), and
        # added to the send's own warnings once it is fanned out, so a reader finds them
        # together. Deliveries still on their way keep it Sending; the settler completes it.
        warnings = list(dict.fromkeys([*send.warnings, *new_warnings]))
        status = self._writer.run_sync(dispatch.finish(send, warnings, self._clock.now()))
        if status == COMPLETED:
            self._publish_completed(send, sample)

    def _publish_completed(self, send: Job, sample: DeliveryRow | None) -> None:
        # What the first device was shown, so a browser notification can say it as text.
        self._publish_status(
            send,
            COMPLETED,
            title=sample[_TITLE] if sample else None,
            message=sample[_MESSAGE] if sample else None,
        )

    def _publish_status(self, send: Job, status: str, **shown: str | None) -> None:
        publish_status(self._events, send, status, **shown)

    def _give_up(self, send_id: int, error: Exception) -> None:
        """A send that cannot be fanned out is completed with a warning, not retried forever."""
        log.exception("send %d could not be dispatched", send_id, exc_info=error)
        try:
            send = dispatch.load_job(self._engine, send_id)
            if send is None:
                return
            self._given_up.add(send.transaction_id)
            if send.status != SENDING and not self._set_status(send, SENDING):
                return
            self._complete(send, [f"the emulator could not fan this send out: {error}"], None)
        except Exception:
            log.exception("send %d could not be marked as failed", send_id)


@dataclass
class _Rendered:
    """A small send rendered whole, waiting for its batch's write."""

    job: Job
    rows: list[DeliveryRow]
    warnings: list[str]
    planner: Planner
