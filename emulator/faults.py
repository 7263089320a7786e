"""Fault rules: what may go wrong, for which requests, and when; decided per request."""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from emulator.bodies import RuleError, describe_errors, parse_rule_list, read_rule_file
from emulator.clock import Clock
from emulator.errors import (
    NOT_AUTHENTICATED,
    NOT_AUTHORIZED,
    TEMPLATE_NOT_FOUND,
    TOO_MANY_REQUESTS,
)
from emulator.fanout.timing import check_fixed_or_range
from emulator.push.contract import Guid
from emulator.triggers import RuleBook, Trigger

# Bounds, so a typo cannot hang a test suite or fill memory.
MAX_RULES = 100
MAX_LATENCY_MS = 60_000
MAX_RETRY_AFTER = 3600

ACTION_TYPES = ("status", "latency", "drop", "malformed", "code")
# SendTransactionalPush's refusals: HTTP 200 with a non-zero code [live]. Another code needs
# a message of its own.
CODE_MESSAGES: dict[int, str] = {11: "Token not found with given ContactKey"}
# The statuses the real service (or a proxy before it) can answer, with the contract's own
# texts; 5xx texts are unknown [guess], so they say what a gateway would.
STATUS_MESSAGES: dict[int, str] = {
    401: NOT_AUTHENTICATED,
    403: NOT_AUTHORIZED,
    404: TEMPLATE_NOT_FOUND,
    429: TOO_MANY_REQUESTS,
    500: "Internal server error.",
    502: "Bad gateway.",
    503: "Service unavailable.",
    504: "Gateway timeout.",
}
# A 200 whose body stops mid-value: what a client sees when a proxy truncates an answer.
MALFORMED_BODY = b'{"code": 0, "message": "Successful", "transactionId": "'
_METHODS = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


class FaultRuleError(RuleError):
    """Fault rules that cannot be used; `problems` name each field and its rule."""

    what = "faults"
    noun = "fault rules"


class _RuleModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class FaultMatch(_RuleModel):
    """Which /rest requests a rule applies to; every field left out matches anything."""

    method: _METHODS | None = None
    path: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    apiUser: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    applicationId: Guid | None = None

    @field_validator("method", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("path")
    @classmethod
    def _under_rest(cls, value: str | None) -> str | None:
        # null is "any path", like leaving the field out (it was a 500 once).
        if value is not None and value != "/rest" and not value.startswith("/rest/"):
            raise ValueError("must be a path under /rest, e.g. /rest/push/sendInstant")
        return value


class FaultAction(_RuleModel):
    """What happens instead of (or, for latency, before) the real answer."""

    # Checked by _known_type, for its message; documented as the enum it is.
    type: Annotated[str, WithJsonSchema({"type": "string", "enum": list(ACTION_TYPES)})]
    status: int | None = None
    emptyBody: bool = False
    message: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    retryAfter: Annotated[int, Field(ge=1, le=MAX_RETRY_AFTER)] | None = None
    ms: Annotated[int, Field(ge=0, le=MAX_LATENCY_MS)] | None = None
    minMs: Annotated[int, Field(ge=0, le=MAX_LATENCY_MS)] | None = None
    maxMs: Annotated[int, Field(ge=0, le=MAX_LATENCY_MS)] | None = None
    code: Annotated[int, Field(ge=1, le=999)] | None = None

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in ACTION_TYPES:
            raise ValueError(f"must be one of {', '.join(ACTION_TYPES)} (got {value!r})")
        return value

    @field_validator("status")
    @classmethod
    def _known_status(cls, value: int) -> int:
        if value not in STATUS_MESSAGES:
            known = ", ".join(str(s) for s in STATUS_MESSAGES)
            raise ValueError(f"must be one of {known} (got {value})")
        return value

    @model_validator(mode="after")
    def _fields_fit_type(self) -> "FaultAction":
        allowed = {
            "status": {"status", "emptyBody", "message", "retryAfter"},
            "latency": {"ms", "minMs", "maxMs"},
            "drop": set(),
            "malformed": set(),
            "code": {"code", "message"},
        }[self.type]
        given = self.model_fields_set - {"type"}
        if stray := sorted(given - allowed):
            raise ValueError(f"{', '.join(stray)}: not used by type {self.type!r}")
        if self.type == "status":
            if self.status is None:
                raise ValueError("status: is required for type 'status'")
            if self.retryAfter is not None and self.status != 429:
                raise ValueError("retryAfter: only goes with status 429")
        if self.type == "latency":
            check_fixed_or_range(self.ms, self.minMs, self.maxMs, "latency")
        if self.type == "code":
            if self.code is None:
                raise ValueError("code: is required for type 'code'")
            if self.code not in CODE_MESSAGES and self.message is None:
                known = ", ".join(str(c) for c in CODE_MESSAGES)
                raise ValueError(f"message: is required for a code other than {known}")
        return self

    def describe(self) -> str:
        if self.type == "status":
            text = f"status {self.status}"
            if self.emptyBody:
                text += " with an empty body"
            if self.status == 429:
                text += f" (Retry-After {self.retryAfter or 1})"
            return text
        if self.type == "code":
            return f"HTTP 200 with refusal code {self.code}"
        if self.type == "latency":
            return (
                f"latency {self.ms} ms"
                if self.ms is not None
                else (f"latency {self.minMs}-{self.maxMs} ms")
            )
        return {"drop": "dropped connection", "malformed": "malformed JSON with status 200"}[
            self.type
        ]


# When a matching request is faulted: always, the next N, by chance, until a TTL.
FaultTrigger = Trigger


class FaultRule(_RuleModel):
    name: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    match: FaultMatch = Field(default_factory=FaultMatch)
    action: FaultAction
    trigger: FaultTrigger = Field(default_factory=FaultTrigger)


_RULES_ADAPTER = TypeAdapter(list[FaultRule])
_RULE_ADAPTER = TypeAdapter(FaultRule)


def parse_rules(data: Any, source: str = "") -> list[FaultRule]:
    """Rules from decoded JSON (an array), or FaultRuleError naming each bad field."""
    return parse_rule_list(data, _RULES_ADAPTER, FaultRuleError, MAX_RULES, source)


def parse_rule(data: Any) -> FaultRule:
    """One rule from decoded JSON (an object), or FaultRuleError naming each bad field."""
    if not isinstance(data, dict):
        raise FaultRuleError(["body: must be a fault rule (a JSON object)"])
    try:
        return _RULE_ADAPTER.validate_python(data)
    except ValidationError as error:
        raise FaultRuleError(describe_errors(error, name_fields=True)) from None


def load_fault_file(path: Path) -> list[FaultRule]:
    """The rules of an EMULATOR_FAULTS file; any problem is one line naming file and field."""
    return parse_rules(read_rule_file(path, FaultRuleError), str(path))


@dataclass(frozen=True)
class FaultRequest:
    """What a rule can match on; `application_ids` None means every application."""

    method: str
    path: str
    api_user: str | None = None
    application_ids: frozenset[str] | None = frozenset()


@dataclass(frozen=True)
class Decision:
    """The outcome for one request: a delay first, then an answer instead of the app's."""

    delay_ms: int = 0
    action: FaultAction | None = None
    fired: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return "; ".join(self.fired)


def _matches(rule: FaultMatch, request: FaultRequest) -> bool:
    if rule.method is not None and rule.method != request.method:
        return False
    if rule.path is not None and rule.path != request.path:
        return False
    if rule.apiUser is not None and rule.apiUser != request.api_user:
        return False
    if rule.applicationId is not None:
        ids = request.application_ids
        return ids is None or rule.applicationId.lower() in ids
    return True


class FaultBook(RuleBook[FaultRule]):
    """The fault rules in force and their counters.

    Each rule draws from its own random generator, seeded by its trigger's seed, once per
    matching request: the same requests in the same order fault the same way on every run.
    """

    def __init__(self, clock: Clock) -> None:
        super().__init__(clock)
        self._presets: list[FaultRule] = []

    def preset(self, rules: list[FaultRule]) -> None:
        """Rules from EMULATOR_FAULTS: in force now, and again after every reset."""
        self._presets = list(rules)
        self.reset()

    def add(self, rule: FaultRule) -> int:
        """Arm one more rule after the others, whose counters and TTLs run on; its id."""
        with self._lock:
            if len(self._armed) >= MAX_RULES:
                raise FaultRuleError([f"body: at most {MAX_RULES} rules are in force at once"])
            [armed] = self._arm([rule], first_index=len(self._armed))
            self._armed = [*self._armed, armed]
        return armed.id

    def reset(self) -> None:
        """Back to start-up: the preset rules with fresh counters (none without a file)."""
        self.replace(self._presets)

    def wants_api_user(self) -> bool:
        return any(a.rule.match.apiUser is not None for a in self._armed)

    def wants_application_ids(self) -> bool:
        return any(a.rule.match.applicationId is not None for a in self._armed)

    def decide(self, request: FaultRequest) -> Decision | None:
        """Which rules fire for this request: latencies add up; the first other action answers."""
        if not self._armed:
            return None
        now = self._clock.timestamp()
        delay = 0
        fired: list[str] = []
        with self._lock:
            for armed in self._armed:
                trigger = armed.trigger
                if not trigger.live(now) or not _matches(armed.rule.match, request):
                    continue
                if not trigger.fires(now):
                    continue
                action = armed.rule.action
                if action.type == "latency":
                    ms = action.ms
                    if ms is None:
                        ms = trigger.rng.randint(action.minMs or 0, action.maxMs or 0)
                    delay += ms
                    fired.append(f"{armed.label}: latency {ms} ms")
                    continue
                fired.append(f"{armed.label}: {action.describe()}")
                return Decision(min(delay, MAX_LATENCY_MS), action, tuple(fired))
        if not fired:
            return None
        return Decision(min(delay, MAX_LATENCY_MS), None, tuple(fired))
