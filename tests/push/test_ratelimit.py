"""The token bucket on its own: refill, capacity, Retry-After and exactness under threads."""

import threading
from datetime import UTC, datetime

from emulator.clock import Clock
from emulator.push.ratelimit import BucketConfig, RateLimiter


def frozen_clock() -> Clock:
    clock = Clock()
    clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    return clock


def test_a_bucket_starts_full_and_refills_with_time() -> None:
    clock = frozen_clock()
    limiter = RateLimiter(BucketConfig(3, 1.0), clock)
    assert [limiter.take("u") for _ in range(4)] == [None, None, None, 1]
    clock.advance(1)
    assert limiter.take("u") is None
    assert limiter.take("u") == 1


def test_buckets_are_per_user_and_overrides_apply() -> None:
    limiter = RateLimiter(BucketConfig(1, 0), frozen_clock())
    limiter.configure(BucketConfig(1, 0), {"big": BucketConfig(5, 0)})
    assert limiter.take("a") is None
    assert limiter.take("a") == 3600  # no refill: tell the client to stop
    assert limiter.take("b") is None
    assert [limiter.take("big") for _ in range(6)].count(None) == 5


def test_retry_after_is_whole_seconds_until_the_next_token() -> None:
    limiter = RateLimiter(BucketConfig(1, 0.25), frozen_clock())
    limiter.take("u")
    assert limiter.take("u") == 4


def test_exactly_capacity_succeed_under_concurrent_callers() -> None:
    limiter = RateLimiter(BucketConfig(50, 0), frozen_clock())
    results: list[int | None] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def hammer() -> None:
        start.wait()
        for _ in range(20):
            outcome = limiter.take("u")
            with lock:
                results.append(outcome)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(None) == 50
    assert len(results) == 160
