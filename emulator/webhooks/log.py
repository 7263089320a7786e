"""The webhook deliveries log: every attempt, newest first, kept in memory and bounded.

In memory rather than in SQLite: attempts are diagnostics of the running stack, not recorded
data, and writing them would put webhook traffic on the one writer that every send's commit
waits for. They do not survive a restart, and a reset clears them.
"""

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from emulator.errors import BadRequest
from emulator.storage.paging import Page, iso

Result = Literal["delivered", "failed", "gave_up"]
DELIVERED: Result = "delivered"  # a 2xx answer
FAILED: Result = "failed"  # no 2xx; another try follows
GAVE_UP: Result = "gave_up"  # no 2xx on the last try: the event is not sent again
RESULTS: tuple[Result, ...] = (DELIVERED, FAILED, GAVE_UP)


@dataclass(frozen=True)
class Attempt:
    id: int  # from 1, in the order attempts ended
    at: datetime  # when it started, on the emulator's clock
    webhook: int  # the webhook's index in the list in force
    url: str  # masked (rules.masked_url)
    event_id: int
    event_kind: str
    attempt: int  # 1 for the first try
    result: Result
    status: int | None  # the receiver's HTTP status; None when it never answered
    latency_ms: float
    error: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": iso(self.at),
            "webhook": self.webhook,
            "url": self.url,
            "eventId": self.event_id,
            "eventKind": self.event_kind,
            "attempt": self.attempt,
            "result": self.result,
            "status": self.status,
            "latencyMs": self.latency_ms,
            "error": self.error,
        }


@dataclass(frozen=True)
class AttemptFilters:
    """GET /_emulator/webhooks/deliveries' filters (emulator.filters.WEBHOOK_LOG_FILTERS)."""

    result: Result | None = None
    event_kind: str | None = None
    event_id: int | None = None
    webhook: int | None = None

    @classmethod
    def from_query(cls, given: dict[str, str]) -> "AttemptFilters":
        result = given.get("result") or None
        if result is not None and result not in RESULTS:
            raise BadRequest([f"result: must be one of {', '.join(RESULTS)}, got {result!r}"])
        return cls(
            result=result,
            event_kind=given.get("eventKind") or None,
            event_id=_whole("eventId", given.get("eventId")),
            webhook=_whole("webhook", given.get("webhook")),
        )

    def matches(self, attempt: Attempt) -> bool:
        return (
            (self.result is None or attempt.result == self.result)
            and (self.event_kind is None or attempt.event_kind == self.event_kind)
            and (self.event_id is None or attempt.event_id == self.event_id)
            and (self.webhook is None or attempt.webhook == self.webhook)
        )


def _whole(name: str, value: str | None) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 18:
        raise BadRequest([f"{name}: must be a whole number, got {value!r}"])
    return int(value)


class AttemptLog:
    """The newest `bound` attempts; read from any thread."""

    def __init__(self, bound: int) -> None:
        self._attempts: deque[Attempt] = deque(maxlen=bound)
        self._lock = threading.Lock()
        self._last_id = 0

    def add(self, **fields: Any) -> Attempt:
        with self._lock:
            self._last_id += 1
            attempt = Attempt(id=self._last_id, **fields)
            self._attempts.append(attempt)
        return attempt

    def clear(self) -> int:
        with self._lock:
            removed = len(self._attempts)
            self._attempts.clear()
        return removed

    def _newest_first(self) -> list[Attempt]:
        with self._lock:
            return list(reversed(self._attempts))

    def page(self, filters: AttemptFilters, cursor: int | None, limit: int) -> Page:
        """Newest first; `cursor` is the id of the last attempt of the previous page."""
        found: list[Attempt] = []
        for attempt in self._newest_first():
            if cursor is not None and attempt.id >= cursor:
                continue
            if filters.matches(attempt):
                found.append(attempt)
                if len(found) > limit:
                    break
        more = len(found) > limit
        found = found[:limit]
        next_cursor = str(found[-1].id) if more and found else None
        return Page([a.to_json() for a in found], next_cursor)

    def count(self, filters: AttemptFilters) -> int:
        return sum(1 for attempt in self._newest_first() if filters.matches(attempt))

    def not_matching(self, filters: AttemptFilters, limit: int) -> list[dict[str, Any]]:
        """The newest attempts that `filters` leave out: what a failed wait shows."""
        misses = [a for a in self._newest_first() if not filters.matches(a)]
        return [a.to_json() for a in misses[:limit]]
