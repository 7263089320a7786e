"""When a run-time rule fires: always, the next N times, by seeded chance, until a TTL."""

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# Bounds, so a typo cannot hang a test suite or fill memory.
MAX_TIMES = 1_000_000
MAX_TTL_SECONDS = 30 * 86400


class Trigger(BaseModel):
    """A rule's trigger: every field left out means "no limit" (every match fires)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    times: Annotated[int, Field(ge=1, le=MAX_TIMES)] | None = None
    probability: Annotated[float, Field(ge=0, le=1)] | None = None
    seed: int | None = None
    ttlSeconds: Annotated[float, Field(gt=0, le=MAX_TTL_SECONDS)] | None = None


@dataclass
class ArmedTrigger:
    """A trigger in force: its own random generator (seeded by the trigger's seed), what is
    left of its count, when it expires, and how often it fired.

    The generator draws once per matching event, so the same events in the same order fire
    the same way on every run. Not thread-safe: its owner holds a lock around `fires`.
    """

    trigger: Trigger
    now: float  # when the rule was set, on the emulator's clock (seconds since the epoch)
    rng: random.Random = field(init=False)
    remaining: int | None = field(init=False)
    expires_at: float | None = field(init=False)
    fired: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.trigger.seed)
        self.remaining = self.trigger.times
        ttl = self.trigger.ttlSeconds
        self.expires_at = self.now + ttl if ttl else None

    def live(self, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return self.expires_at is None or now < self.expires_at

    def fires(self, now: float) -> bool:
        """Judge one matching event: draw (when by chance) and count it if it fires."""
        if not self.live(now):
            return False
        probability = self.trigger.probability
        if probability is not None and self.rng.random() >= probability:
            return False
        if self.remaining is not None:
            self.remaining -= 1
        self.fired += 1
        return True

    def status(self, now: float) -> dict[str, Any]:
        """`fired`, `remaining`, `expiresAt` and `active`, as GET shows each rule."""
        return {
            "fired": self.fired,
            "remaining": self.remaining,
            "expiresAt": (
                datetime.fromtimestamp(self.expires_at, UTC).isoformat()
                if self.expires_at is not None
                else None
            ),
            "active": self.live(now),
        }
