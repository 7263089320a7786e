"""What happens to each delivery: its outcome, when it is final, whether and when it is opened."""

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from emulator.fanout.audience import Recipient
from emulator.fanout.outcomes import (
    CLEANED,
    DELIVERED_OUTCOME,
    INVALID_TOKEN_OUTCOME,
    OUTCOMES,
    UNREGISTERED_OUTCOME,
)
from emulator.fanout.rules import OutcomeBook, OutcomeRule
from emulator.fanout.timing import NO_DELAY, Delay, parse_delay
from emulator.push.fixtures import Application
from emulator.settings import Settings
from emulator.storage.rows import sql_datetime
from emulator.storage.tables import DELIVERED, FAILED, SENT

# A delivery's plan, in storage.deliveries.DELIVERY_COLUMNS order: status, outcome, reason,
# final_at, opened_at, clicked_at, open_due_at, click_due_at (times in storage form).
PlanColumns = tuple[str, str, str | None, str, str | None, str | None, str | None, str | None]


@dataclass(frozen=True)
class Defaults:
    """How every device behaves unless its application or a rule says otherwise."""

    delay: Delay = NO_DELAY
    open_rate: float = 0.0
    click_rate: float = 0.0
    open_window_seconds: float = 3600.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "Defaults":
        return cls(
            parse_delay(settings.delivery_delay),
            settings.open_rate,
            settings.click_rate,
            float(settings.open_window),
        )


@dataclass
class DeviceBehaviour:
    """The settings' defaults, the outcome rules in force, and the seed of the emulator."""

    defaults: Defaults
    rules: OutcomeBook
    seed: Callable[[], int | None]

    def planner(self, transaction_id: str, now: datetime) -> "Planner":
        seed = self.seed()

        # Each send draws from its own generator: with EMULATOR_SEED the same send (same
        # transaction id) gets the same delays and opens on every run, in any order.
        # Made at the first draw, if any: most sends draw nothing, and an unseeded Random
        # reads os.urandom, which gives up the GIL in the middle of a fan-out.
        def rng() -> random.Random:
            return (
                random.Random(f"{seed}:{transaction_id}") if seed is not None else random.Random()
            )

        return Planner(self.defaults, self.rules if self.rules.active else None, rng, now)


def final_status(outcome: str) -> str:
    return DELIVERED if outcome == DELIVERED_OUTCOME else FAILED


class Planner:
    """The plans of one send's deliveries, all from `now`, the moment it fans out."""

    def __init__(
        self,
        defaults: Defaults,
        rules: OutcomeBook | None,
        rng: Callable[[], random.Random],
        now: datetime,
    ) -> None:
        self._defaults = defaults
        self._rules = rules
        self._make_rng = rng  # called at the first draw, if any
        self._made: random.Random | None = None
        self._now = now
        self._now_sql = sql_datetime(now)
        # Devices whose delivery came back final as unregistered or invalid at fan-out: the
        # real service stops sending to them (the runtime applies it after the fan-out).
        self.cleaned: set[tuple[str, str]] = set()
        # What an application's deliveries get when no rule fires, worked out once per send.
        self._by_application: dict[str, _Timing] = {}
        # Plans that draw nothing (no rule, a fixed delay, no opens), by what decides them:
        # the same for every such device, so a large fan-out makes each once.
        self._fixed: dict[tuple[str, str, str, str | None], tuple[PlanColumns, bool]] = {}

    @property
    def _rng(self) -> random.Random:
        if self._made is None:
            self._made = self._make_rng()
        return self._made

    def plan(self, recipient: Recipient) -> PlanColumns:
        device, application = recipient.device, recipient.application
        key = (application.id, device.status, device.outcome, recipient.failure)
        if self._rules is None and key in self._fixed:
            columns, cleans = self._fixed[key]
        else:
            columns, cleans, drew = self._plan(recipient)
            if self._rules is None and not drew:
                self._fixed[key] = (columns, cleans)
        if cleans:
            self.cleaned.add((application.id.lower(), device.token))
        return columns

    def _plan(self, recipient: Recipient) -> tuple[PlanColumns, bool, bool]:
        """The columns; whether the device is to be cleaned up; whether anything was drawn
        (a rule's trigger, a delay range, an open)."""
        device, application = recipient.device, recipient.application
        rule = None
        if self._rules is not None and recipient.failure is None:
            rule = self._rules.decide(
                device.token, application.id.lower(), application.platform, device.contactKey
            )
        outcome, reason = self._outcome(recipient, rule)
        timing = self._timing(application, rule)
        drew = timing.delay.ms is None or bool(timing.open_rate or timing.click_rate)
        delay_ms = timing.delay.draw(self._rng)
        cleans = False
        if delay_ms:
            final_at = self._now + timedelta(milliseconds=delay_ms)
            final_sql, status = sql_datetime(final_at), SENT
        else:
            final_at, final_sql, status = self._now, self._now_sql, final_status(outcome)
            cleans = outcome in CLEANED and recipient.failure is None and device.status == "active"
        if outcome != DELIVERED_OUTCOME:
            return (status, outcome, reason, final_sql, None, None, None, None), cleans, drew
        engagement = self._engagement(timing, final_at)
        return (status, outcome, reason, final_sql, *engagement), cleans, drew

    def _outcome(self, recipient: Recipient, rule: OutcomeRule | None) -> tuple[str, str | None]:
        """The one place a delivery's outcome is decided, and its reason in the platform's
        words. A device already unregistered fails so whatever a rule says."""
        if recipient.failure is not None:
            # A token the account does not know: no provider was asked, it reaches nobody.
            return INVALID_TOKEN_OUTCOME, recipient.failure
        device = recipient.device
        if device.status == "unregistered":
            name: str = UNREGISTERED_OUTCOME
        elif rule is not None and rule.outcome is not None:
            name = rule.outcome
        else:
            name = device.outcome
        return name, OUTCOMES[name].reason(recipient.application.platform)

    def _timing(self, application: Application, rule: OutcomeRule | None) -> "_Timing":
        """The one place a delivery's delay and engagement rates are chosen: each from the
        rule that fired, else the application, else the settings."""
        if rule is None and application.id in self._by_application:
            return self._by_application[application.id]
        defaults = self._defaults
        timing = _Timing(
            _first(rule, application, "deliveryDelay") or defaults.delay,
            float(_first(rule, application, "openRate", defaults.open_rate)),
            float(_first(rule, application, "clickRate", defaults.click_rate)),
        )
        if rule is None:
            self._by_application[application.id] = timing
        return timing

    def _engagement(
        self, timing: "_Timing", final_at: datetime
    ) -> tuple[str | None, str | None, str | None, str | None]:
        """opened_at, clicked_at (done at once) or open_due_at, click_due_at (planned) of a
        delivered push. A click counts as an open, so at least clickRate of them open."""
        open_rate, click_rate = timing.open_rate, timing.click_rate
        if not open_rate and not click_rate:
            return None, None, None, None
        draw = self._rng.random()
        if draw >= max(open_rate, click_rate):
            return None, None, None, None
        window = self._defaults.open_window_seconds
        opens_at = (
            final_at + timedelta(seconds=self._rng.uniform(0, window)) if window else final_at
        )
        at = self._now_sql if opens_at == self._now else sql_datetime(opens_at)
        click = at if draw < click_rate else None
        if opens_at <= self._now:
            return at, click, None, None
        return None, None, at, click


@dataclass(frozen=True)
class _Timing:
    delay: Delay
    open_rate: float
    click_rate: float


def _first(
    rule: OutcomeRule | None, application: Application, name: str, default: Any = None
) -> Any:
    """The rule's value of `name` if it has one, else the application's, else `default`."""
    for source in (rule, application):
        value = getattr(source, name, None) if source is not None else None
        if value is not None:
            return value
    return default
