"""Device outcome rules: which deliveries fail (or arrive late, or get opened) at run time."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from emulator.bodies import describe_errors
from emulator.errors import BadRequest
from emulator.fanout.outcomes import OutcomeName
from emulator.fanout.timing import Delay, Rate
from emulator.push.contract import Guid
from emulator.triggers import RuleBook, Trigger

MAX_RULES = 100
_Text = Annotated[str, Field(min_length=1, max_length=1000)]


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class OutcomeMatch(_RuleModel):
    """Which deliveries a rule applies to; every field left out matches anything."""

    token: _Text | None = None
    tokenPrefix: _Text | None = None
    applicationId: Guid | None = None
    platform: Literal["android", "ios", "web"] | None = None
    contactKey: _Text | None = None

    def matches(self, token: str, application_id: str, platform: str, contact: str | None) -> bool:
        """`application_id` lower-cased, as deliveries store it."""
        return (
            (self.token is None or self.token == token)
            and (self.tokenPrefix is None or token.startswith(self.tokenPrefix))
            and (self.applicationId is None or self.applicationId.lower() == application_id)
            and (self.platform is None or self.platform == platform)
            and (self.contactKey is None or self.contactKey == contact)
        )


class OutcomeRule(_RuleModel):
    """What a matching delivery gets: an outcome, a delay, open and click rates (any of them;
    what the rule leaves out comes from the application, then the settings)."""

    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    match: OutcomeMatch = Field(default_factory=OutcomeMatch)
    outcome: OutcomeName | None = None
    deliveryDelay: Delay | None = None
    openRate: Rate | None = None
    clickRate: Rate | None = None
    trigger: Trigger = Field(default_factory=Trigger)

    @model_validator(mode="after")
    def _does_something(self) -> "OutcomeRule":
        if (self.outcome, self.deliveryDelay, self.openRate, self.clickRate) == (None,) * 4:
            raise ValueError("a rule needs an outcome, deliveryDelay, openRate or clickRate")
        return self


_RULES_ADAPTER = TypeAdapter(list[OutcomeRule])


def parse_outcome_rules(data: Any) -> list[OutcomeRule]:
    """Rules from decoded JSON (an array), or a 400 naming each bad field."""
    if not isinstance(data, list):
        raise BadRequest(["body: must be an array of outcome rules"])
    if len(data) > MAX_RULES:
        raise BadRequest([f"body: at most {MAX_RULES} rules"])
    try:
        return _RULES_ADAPTER.validate_python(data)
    except ValidationError as error:
        raise BadRequest(describe_errors(error, name_fields=True)) from None


class OutcomeBook(RuleBook[OutcomeRule]):
    """The outcome rules in force and their counters; none unless a test sets some.

    Rules are read in order and the first that fires decides the delivery; each draws from
    its own generator (seeded by its trigger's seed) once per matching delivery, in fan-out
    order, so the same run with the same seed gives the same outcomes.
    """

    def decide(
        self, token: str, application_id: str, platform: str, contact: str | None
    ) -> OutcomeRule | None:
        """The first rule that fires for this delivery, or None."""
        now = self._clock.timestamp()
        with self._lock:
            for armed in self._armed:
                matches = armed.rule.match.matches(token, application_id, platform, contact)
                if matches and armed.trigger.fires(now):
                    return armed.rule
        return None
