"""Token buckets, one per API user, read against the emulator's clock."""

import math
import threading
from dataclasses import dataclass

from emulator.clock import Clock


@dataclass(frozen=True)
class BucketConfig:
    capacity: int
    refill_per_second: float


class TokenBucket:
    """Starts full; each call takes one token; `take` is atomic under concurrent callers."""

    def __init__(self, config: BucketConfig, clock: Clock) -> None:
        self._config = config
        self._clock = clock
        self._tokens = float(config.capacity)
        self._updated = clock.monotonic()
        self._lock = threading.Lock()

    @property
    def config(self) -> BucketConfig:
        return self._config

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(
            float(self._config.capacity), self._tokens + elapsed * self._config.refill_per_second
        )
        self._updated = now

    def take(self) -> float | None:
        """Take a token; None when taken, else the seconds until the next one comes."""
        with self._lock:
            self._refill(self._clock.monotonic())
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return None
            if self._config.refill_per_second <= 0:
                return math.inf
            return (1.0 - self._tokens) / self._config.refill_per_second

    def available(self) -> float:
        with self._lock:
            self._refill(self._clock.monotonic())
            return self._tokens


class RateLimiter:
    """The buckets of every API user: a per-user override, else the default configuration."""

    def __init__(
        self,
        default: BucketConfig,
        clock: Clock,
        overrides: dict[str, BucketConfig] | None = None,
    ) -> None:
        self._clock = clock
        self._default = default
        self._overrides: dict[str, BucketConfig] = dict(overrides or {})
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()

    @property
    def default(self) -> BucketConfig:
        return self._default

    @property
    def overrides(self) -> dict[str, BucketConfig]:
        return dict(self._overrides)

    def configure(self, default: BucketConfig, overrides: dict[str, BucketConfig]) -> None:
        """Apply new limits at once: every bucket starts again, full."""
        with self._lock:
            self._default = default
            self._overrides = dict(overrides)
            self._buckets.clear()

    def override(self, user: str, config: BucketConfig) -> None:
        """Give one bucket key its own limits (a run-time user's), starting full."""
        with self._lock:
            self._overrides[user] = config
            self._buckets.pop(user, None)

    def forget(self, user: str) -> None:
        """Drop a bucket key's limits and its bucket (a removed user's)."""
        with self._lock:
            self._overrides.pop(user, None)
            self._buckets.pop(user, None)

    def config_for(self, user: str) -> BucketConfig:
        return self._overrides.get(user, self._default)

    def take(self, user: str) -> int | None:
        """Take one token for `user`; None when allowed, else whole seconds to wait (>= 1)."""
        with self._lock:
            bucket = self._buckets.get(user)
            if bucket is None:
                bucket = self._buckets[user] = TokenBucket(self.config_for(user), self._clock)
        wait = bucket.take()
        if wait is None:
            return None
        if math.isinf(wait):
            # No refill: no honest wait exists; one hour tells a client to stop trying.
            return 3600
        return max(1, math.ceil(wait))
