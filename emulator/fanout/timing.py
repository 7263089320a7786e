"""Delivery delays: their format (a fixed `ms`, or `minMs`/`maxMs`) and the seeded draw."""

import random
import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

# A day: far enough for "arrives late", near enough that a typo cannot park a send for years.
MAX_DELAY_MS = 86_400_000

DelayMs = Annotated[int, Field(ge=0, le=MAX_DELAY_MS)]
# An open or click rate: the share of delivered pushes, 0 to 1.
Rate = Annotated[float, Field(ge=0, le=1)]


def check_fixed_or_range(ms: int | None, min_ms: int | None, max_ms: int | None, what: str) -> None:
    """`ms`, or both `minMs` and `maxMs` in order: a delay's (or a fault latency's) shape."""
    fixed = ms is not None
    ranged = min_ms is not None or max_ms is not None
    if fixed == ranged:
        raise ValueError(f"{what} needs either ms, or both minMs and maxMs")
    if min_ms is None or max_ms is None:
        if ranged:
            raise ValueError("minMs, maxMs: both are required for a range")
    elif min_ms > max_ms:
        raise ValueError("minMs: must not be above maxMs")


class Delay(BaseModel):
    """How long a delivery takes to become final: `{"ms": 500}`, or `{"minMs": 100,
    "maxMs": 2000}` drawn per delivery."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    ms: DelayMs | None = None
    minMs: DelayMs | None = None
    maxMs: DelayMs | None = None

    @model_validator(mode="after")
    def _fixed_or_range(self) -> "Delay":
        check_fixed_or_range(self.ms, self.minMs, self.maxMs, "a delay")
        return self

    def draw(self, rng: random.Random) -> int:
        """Milliseconds; a range draws from `rng`, a fixed delay draws nothing."""
        if self.ms is not None:
            return self.ms
        return rng.randint(self.minMs or 0, self.maxMs or 0)


NO_DELAY = Delay(ms=0)
_SETTING = re.compile(r"^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$")


def parse_delay(text: str) -> Delay:
    """The EMULATOR_DELIVERY_DELAY form: `500` (ms) or `100-2000` (a range, drawn per delivery)."""
    match = _SETTING.match(text)
    if match is None:
        raise ValueError("must be milliseconds (500) or a range of them (100-2000)")
    low, high = int(match.group(1)), match.group(2)
    try:
        return Delay(ms=low) if high is None else Delay(minMs=low, maxMs=int(high))
    except ValidationError:
        raise ValueError(
            f"must be at most {MAX_DELAY_MS} ms, with the range's low end first"
        ) from None
