"""Reading a Server-Sent Events stream in a test."""

from collections.abc import Iterator
from typing import Any

import orjson


def events(lines: Iterator[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(kind, data) of each event. A keep-alive means nothing came for a while: a test
    waiting for an event fails then rather than hang."""
    kind = None
    for line in lines:
        assert line != ": keep-alive", "the expected event never came"
        if line.startswith("event: "):
            kind = line.removeprefix("event: ")
        elif line.startswith("data: ") and kind is not None:
            yield kind, orjson.loads(line.removeprefix("data: "))
            kind = None
