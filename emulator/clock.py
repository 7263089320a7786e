"""The emulator's notion of now: real, frozen at an instant, or offset from real time."""

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

ClockMode = Literal["real", "frozen", "offset"]

# Every instant the emulator stores or reads lies in here: far enough for any test, and far
# enough inside datetime's own range that adding a token's TTL or a retention age cannot
# overflow it. A schedule date or a clock setting outside is refused, never stored.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)
CLOCK_RANGE_TEXT = "1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z"


def in_clock_range(moment: datetime) -> bool:
    return EARLIEST <= moment < LATEST


class ClockOutOfRange(ValueError):
    """A setting that would move the clock outside EARLIEST..LATEST; nothing changed."""


class Clock:
    """Everything time-based reads this, so a test can move time instead of sleeping."""

    def __init__(self) -> None:
        self._mode: ClockMode = "real"
        self._frozen_at = 0.0
        self._offset = 0.0
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever the clock is set or moved (e.g. to wake the scheduler)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener()

    @property
    def mode(self) -> ClockMode:
        return self._mode

    @property
    def offset_seconds(self) -> float:
        return self._offset

    def timestamp(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        if self._mode == "frozen":
            return self._frozen_at
        return time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), UTC)

    def monotonic(self) -> float:
        # Buckets and expiry follow the emulator's clock, so moving the clock refills them.
        return self.timestamp()

    def set_real(self) -> None:
        if self._mode == "real" and self._offset == 0.0:
            return  # already real: nothing moved, so no listener (the scheduler) is woken
        self._mode, self._offset = "real", 0.0
        self._changed()

    def freeze(self, at: datetime) -> None:
        at_timestamp = _checked(lambda: at.timestamp())
        self._mode, self._frozen_at, self._offset = "frozen", at_timestamp, 0.0
        self._changed()

    def set_offset(self, seconds: float) -> None:
        _checked(lambda: time.time() + seconds)
        self._mode, self._offset = "offset", seconds
        self._changed()

    def advance(self, seconds: float) -> None:
        if self._mode == "frozen":
            self._frozen_at = _checked(lambda: self._frozen_at + seconds)
        else:
            offset = self._offset + seconds
            _checked(lambda: time.time() + offset)
            self._mode, self._offset = "offset", offset
        self._changed()

    def after(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)


def _checked(timestamp: Callable[[], float]) -> float:
    """The timestamp, or ClockOutOfRange when it (or computing it) leaves the clock's range."""
    try:
        value = timestamp()
        inside = EARLIEST.timestamp() <= value < LATEST.timestamp()
    except (OverflowError, ValueError, OSError):
        inside = False
    if not inside:
        raise ClockOutOfRange(f"the clock must stay between {CLOCK_RANGE_TEXT}")
    return value
