"""Run-time rules (faults, device outcomes): when one fires — always, the next N times, by
seeded chance, until a TTL — and the book of those in force with their counters."""

import itertools
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from emulator.clock import Clock
from emulator.ids import Seed

# Bounds, so a typo cannot hang a test suite or fill memory.
MAX_TIMES = 1_000_000
MAX_TTL_SECONDS = 30 * 86400


class Trigger(BaseModel):
    """A rule's trigger: every field left out means "no limit" (every match fires)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    times: Annotated[int, Field(ge=1, le=MAX_TIMES)] | None = None
    probability: Annotated[float, Field(ge=0, le=1)] | None = None
    seed: Seed | None = None
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


class Rule(Protocol):
    """What a book holds: a rule model with an optional name and a trigger."""

    @property
    def name(self) -> str | None: ...

    @property
    def trigger(self) -> Trigger: ...

    def model_dump(self, *, mode: str, exclude_defaults: bool) -> dict[str, Any]: ...


R = TypeVar("R", bound=Rule)


@dataclass
class Armed(Generic[R]):
    """A rule in force: its id, where it stands in the list, and its trigger's state."""

    id: int  # stable while the rule is in force, so one rule can be removed by it
    index: int  # its place in the list, which the journal's labels name
    rule: R
    trigger: ArmedTrigger

    @property
    def label(self) -> str:
        """How a journal row or a message names it."""
        return f"rules[{self.index}]" + (f" {self.rule.name!r}" if self.rule.name else "")


class RuleBook(Generic[R]):
    """The rules in force, in order, with fresh counters each time they are replaced; off
    (no rules) unless told otherwise. Subclasses decide what a rule does for an event,
    holding `_lock` while they draw from the triggers."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._armed: list[Armed[R]] = []
        self._ids = itertools.count(1)

    def _arm(self, rules: list[R], first_index: int = 0) -> list[Armed[R]]:
        now = self._clock.timestamp()
        return [
            Armed(next(self._ids), index, rule, ArmedTrigger(rule.trigger, now))
            for index, rule in enumerate(rules, first_index)
        ]

    def replace(self, rules: list[R]) -> None:
        """Every rule anew: counters and TTLs start from now."""
        armed = self._arm(rules)
        with self._lock:
            self._armed = armed

    def remove(self, rule_id: int) -> bool:
        """Disarm the rule with this id; the others keep their counters. False if none."""
        with self._lock:
            kept = [armed for armed in self._armed if armed.id != rule_id]
            if len(kept) == len(self._armed):
                return False
            for index, armed in enumerate(kept):
                armed.index = index
            self._armed = kept
        return True

    def clear(self) -> None:
        self.replace([])

    @property
    def active(self) -> bool:
        return bool(self._armed)

    def rules(self) -> list[R]:
        with self._lock:
            return [armed.rule for armed in self._armed]

    def status(self) -> list[dict[str, Any]]:
        """Each rule as given, with how often it fired and what is left of its trigger."""
        now = self._clock.timestamp()
        with self._lock:
            return [
                {
                    "id": armed.id,
                    "rule": armed.rule.model_dump(mode="json", exclude_defaults=True),
                    **armed.trigger.status(now),
                }
                for armed in self._armed
            ]
