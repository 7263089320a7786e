"""Repeated failures are logged once with their traceback, then a line a second with a count."""

import logging

import pytest

from emulator.logthrottle import LogThrottle


def test_a_repeated_cause_is_one_traceback_then_one_line_per_interval(
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = [100.0]
    throttle = LogThrottle(logging.getLogger("test.throttle"), interval=1.0, clock=lambda: now[0])
    full = OSError(28, "No space left on device")
    with caplog.at_level(logging.ERROR, logger="test.throttle"):
        for _ in range(900):  # a minute of requests, as the probe saw them
            throttle.exception("a commit failed", full)
            now[0] += 0.01
        throttle.exception("a row could not be stored", ValueError("other cause"))
    records = caplog.records
    assert records[0].exc_info is not None
    assert "No space left on device" in records[0].getMessage()
    repeats = [r for r in records[1:] if "No space" in r.getMessage()]
    assert len(repeats) == 8  # one line a second over ~9 seconds
    assert all(r.exc_info is None for r in repeats)
    assert "(again; 99 more held back)" in repeats[0].getMessage()
    # Another cause is reported at once, with its own traceback.
    assert records[-1].exc_info is not None
    assert "other cause" in records[-1].getMessage()
