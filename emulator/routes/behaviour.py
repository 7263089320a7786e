"""/_emulator routes for how the emulated service behaves: faults, device outcomes, rate
limits, clock, seed."""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from emulator.bodies import parse_json_body, validate_json
from emulator.clock import ClockOutOfRange
from emulator.errors import BadRequest, NotFound
from emulator.fanout.rules import OutcomeRule, parse_outcome_rules
from emulator.faults import FaultRule, FaultRuleError, parse_rule, parse_rules
from emulator.ids import Seed
from emulator.openapi import Responses, Shape, answer, error, json_body
from emulator.push.ratelimit import BucketConfig
from emulator.routes.deps import RuntimeDep
from emulator.runtime import Runtime
from emulator.web import JsonResponse

router = APIRouter(tags=["behaviour"])

RuleId = Annotated[
    int, Path(ge=1, le=2**63 - 1, description="a rule's id, as GET /_emulator/faults shows it")
]

# A hundred years either way: far enough for any test, near enough for datetime.
MAX_CLOCK_SECONDS = 100 * 365 * 86400


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# Fault rules ----------------------------------------------------------------------------


class _RuleStatus(Shape):
    """What a rule book says of each rule beside the rule: how often it fired, what is left
    of its trigger."""

    id: int  # its number in its book (DELETE /_emulator/faults/{id} takes a fault rule's)
    fired: int
    remaining: int | None  # of `trigger.times`; null without a count
    expiresAt: datetime | None  # when `trigger.ttlSeconds` runs out, on the emulator's clock
    active: bool  # false once its count or TTL is used up


class FaultStatus(_RuleStatus):
    """A rule in force: as given (defaults left out), how often it fired, what is left."""

    rule: FaultRule


_RULES_EXAMPLE = [
    {
        "name": "login down",
        "match": {"method": "POST", "path": "/rest/login"},
        "action": {"type": "status", "status": 503},
        "trigger": {"times": 2},
    },
    {"action": {"type": "latency", "minMs": 50, "maxMs": 200}, "trigger": {"seed": 7}},
]
_STATUS_EXAMPLE = [
    {
        "id": 1,
        "rule": _RULES_EXAMPLE[0],
        "fired": 0,
        "remaining": 2,
        "expiresAt": None,
        "active": True,
    },
    {
        "id": 2,
        "rule": _RULES_EXAMPLE[1],
        "fired": 0,
        "remaining": None,
        "expiresAt": None,
        "active": True,
    },
]
_FAULTS: Responses = {
    200: answer(list[FaultStatus], _STATUS_EXAMPLE, "the rules in force, in order")
}
_BAD_RULES = error(400, "[0].action.status: must be one of 401, 403, ...", "a rule is invalid")


@router.get("/faults", responses=_FAULTS)
async def get_faults(runtime: RuntimeDep) -> JsonResponse:
    """The rules in force, each with how often it fired and what is left of its trigger."""
    return JsonResponse(runtime.faults.status())


@router.put(
    "/faults",
    responses={**_FAULTS, **_BAD_RULES},
    openapi_extra=json_body(list[FaultRule], _RULES_EXAMPLE, "every rule, in order"),
)
async def put_faults(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Replace every rule (counters and TTLs start again); an empty array turns faults off."""
    try:
        rules = parse_rules(parse_json_body(await request.body()))
    except FaultRuleError as error:
        raise BadRequest(error.problems) from None
    runtime.faults.replace(rules)
    return JsonResponse(runtime.faults.status())


@router.delete(
    "/faults", responses={200: answer(list[FaultStatus], [], "no rules are left in force")}
)
async def delete_faults(runtime: RuntimeDep) -> JsonResponse:
    """Turn every fault off."""
    runtime.faults.clear()
    return JsonResponse([])


@router.post(
    "/faults",
    responses={
        200: answer(FaultStatus, _STATUS_EXAMPLE[0], "the rule added, with its id"),
        **_BAD_RULES,
    },
    openapi_extra=json_body(FaultRule, _RULES_EXAMPLE[0], "one rule"),
)
async def add_fault(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Add one rule after those in force, which keep their counters; answers it, with its id."""
    try:
        rule_id = runtime.faults.add(parse_rule(parse_json_body(await request.body())))
    except FaultRuleError as error:
        raise BadRequest(error.problems) from None
    return JsonResponse(next(s for s in runtime.faults.status() if s["id"] == rule_id))


@router.delete(
    "/faults/{rule_id}",
    responses={
        **_FAULTS,
        **error(404, "No fault rule with id 7.", "no such rule"),
        **error(400, "rule_id: Input should be greater than or equal to 1", "not a rule id"),
    },
)
async def delete_fault(rule_id: RuleId, runtime: RuntimeDep) -> JsonResponse:
    """Remove one rule by its id; the others keep their counters. Answers those left."""
    if not runtime.faults.remove(rule_id):
        raise NotFound(f"No fault rule with id {rule_id}.")
    return JsonResponse(runtime.faults.status())


# Device outcome rules -------------------------------------------------------------------


class OutcomeStatus(_RuleStatus):
    """An outcome rule in force: as given (defaults left out), how often it fired, what is
    left of its trigger."""

    rule: OutcomeRule


_OUTCOME_RULES_EXAMPLE = [
    {
        "name": "iOS throttled",
        "match": {"platform": "ios"},
        "outcome": "throttled",
        "trigger": {"probability": 0.3, "seed": 7},
    },
    {"match": {"token": "fcm-ada-pixel8"}, "outcome": "unregistered"},
]
_OUTCOME_STATUS_EXAMPLE = [
    {"id": 1, "rule": _OUTCOME_RULES_EXAMPLE[0], "fired": 2, "remaining": None,
     "expiresAt": None, "active": True},
    {"id": 2, "rule": _OUTCOME_RULES_EXAMPLE[1], "fired": 1, "remaining": None,
     "expiresAt": None, "active": True},
]  # fmt: skip
_OUTCOMES: Responses = {
    200: answer(list[OutcomeStatus], _OUTCOME_STATUS_EXAMPLE, "the outcome rules, in order")
}


@router.get("/device-outcomes", responses=_OUTCOMES)
async def get_device_outcomes(runtime: RuntimeDep) -> JsonResponse:
    """The outcome rules in force, each with how often it fired."""
    return JsonResponse(runtime.outcomes.status())


@router.put(
    "/device-outcomes",
    responses={
        **_OUTCOMES,
        **error(400, "[0].outcome: must be one of 'delivered', ...", "a rule is invalid"),
    },
    openapi_extra=json_body(list[OutcomeRule], _OUTCOME_RULES_EXAMPLE, "every rule, in order"),
)
async def put_device_outcomes(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Replace every outcome rule (counters and TTLs start again); the next delivery reads
    them. An empty array clears them."""
    rules = parse_outcome_rules(parse_json_body(await request.body()))
    runtime.outcomes.replace(rules)
    return JsonResponse(runtime.outcomes.status())


@router.delete(
    "/device-outcomes",
    responses={200: answer(list[OutcomeStatus], [], "no outcome rule is left in force")},
)
async def delete_device_outcomes(runtime: RuntimeDep) -> JsonResponse:
    """Clear every outcome rule: deliveries follow their devices and applications again."""
    runtime.outcomes.clear()
    return JsonResponse([])


# Rate limits ----------------------------------------------------------------------------


class Bucket(_Body):
    capacity: Annotated[int, Field(ge=1, le=1_000_000)]
    refillPerSecond: Annotated[float, Field(ge=0, le=1_000_000)]


class RateLimits(_Body):
    default: Bucket | None = None
    users: Annotated[
        dict[Annotated[str, Field(min_length=1)], Bucket], Field(max_length=10_000)
    ] = Field(default_factory=dict)


class RateLimitsState(Shape):
    default: Bucket
    users: dict[str, Bucket]


_LIMITS_EXAMPLE = {
    "default": {"capacity": 30, "refillPerSecond": 30.0},
    "users": {"demo-user": {"capacity": 5, "refillPerSecond": 0.0}},
}
_LIMITS: Responses = {200: answer(RateLimitsState, _LIMITS_EXAMPLE, "the buckets in force")}


def _bucket(config: BucketConfig) -> dict[str, Any]:
    return {"capacity": config.capacity, "refillPerSecond": config.refill_per_second}


def _rate_limits(runtime: Runtime) -> dict[str, Any]:
    limiter = runtime.limiter
    users = {user: _bucket(config) for user, config in sorted(limiter.overrides.items())}
    return {"default": _bucket(limiter.default), "users": users}


@router.get("/rate-limits", responses=_LIMITS)
async def get_rate_limits(runtime: RuntimeDep) -> JsonResponse:
    """The default bucket and the per-user ones."""
    return JsonResponse(_rate_limits(runtime))


@router.put(
    "/rate-limits",
    responses={
        **_LIMITS,
        **error(400, "users.demo-user.capacity: must be at least 1", "a bucket is invalid"),
    },
    openapi_extra=json_body(
        RateLimits, {"users": {"demo-user": {"capacity": 5, "refillPerSecond": 0}}}
    ),
)
async def put_rate_limits(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Replace the per-user buckets (and the default, if given); every bucket restarts full."""
    body = validate_json(RateLimits, await request.body())
    default = runtime.limiter.default
    if body.default is not None:
        default = BucketConfig(body.default.capacity, body.default.refillPerSecond)
    users = {k: BucketConfig(v.capacity, v.refillPerSecond) for k, v in body.users.items()}
    runtime.limiter.configure(default, users)
    return JsonResponse(_rate_limits(runtime))


# The clock ------------------------------------------------------------------------------


class ClockSetting(_Body):
    mode: Literal["real", "frozen", "offset"]
    at: datetime | None = None
    offsetSeconds: Annotated[float, Field(ge=-MAX_CLOCK_SECONDS, le=MAX_CLOCK_SECONDS)] | None = (
        None
    )

    @model_validator(mode="after")
    def _fields_fit_mode(self) -> "ClockSetting":
        if self.at is not None and self.mode != "frozen":
            raise ValueError("at: only goes with mode 'frozen'")
        if (self.offsetSeconds is not None) != (self.mode == "offset"):
            raise ValueError("offsetSeconds: is required with mode 'offset', and only there")
        return self


class ClockAdvance(_Body):
    seconds: Annotated[float, Field(ge=0, le=MAX_CLOCK_SECONDS)]


class ClockState(Shape):
    mode: Literal["real", "frozen", "offset"]
    now: datetime  # the emulator's time now
    offsetSeconds: float  # how far it is ahead of real time


_CLOCK_EXAMPLE = {"mode": "frozen", "now": "2030-01-01T00:00:00+00:00", "offsetSeconds": 0.0}
_CLOCK: Responses = {200: answer(ClockState, _CLOCK_EXAMPLE, "the emulator's clock")}


def _clock(runtime: Runtime) -> dict[str, Any]:
    clock = runtime.clock
    return {
        "mode": clock.mode,
        "now": clock.now().isoformat(),
        "offsetSeconds": clock.offset_seconds,
    }


@router.get("/clock", responses=_CLOCK)
async def get_clock(runtime: RuntimeDep) -> JsonResponse:
    """The clock's mode and its time now."""
    return JsonResponse(_clock(runtime))


@router.put(
    "/clock",
    responses={
        **_CLOCK,
        **error(400, "offsetSeconds: is required with mode 'offset', and only there", "bad mode"),
    },
    openapi_extra=json_body(ClockSetting, {"mode": "frozen", "at": "2030-01-01T00:00:00Z"}),
)
async def put_clock(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Real time, frozen at `at` (default: now; no zone means UTC), or `offsetSeconds` ahead."""
    body = validate_json(ClockSetting, await request.body())
    try:
        if body.mode == "real":
            runtime.clock.set_real()
        elif body.mode == "frozen":
            at = body.at or runtime.clock.now()
            runtime.clock.freeze(at if at.tzinfo is not None else at.replace(tzinfo=UTC))
        else:
            runtime.clock.set_offset(body.offsetSeconds or 0.0)
    except ClockOutOfRange as error:
        field = "at" if body.mode == "frozen" else "offsetSeconds"
        raise BadRequest([f"{field}: {error}"]) from None
    return JsonResponse(_clock(runtime))


@router.post(
    "/clock/advance",
    responses={**_CLOCK, **error(400, "seconds: must be at least 0", "a bad number of seconds")},
    openapi_extra=json_body(ClockAdvance, {"seconds": 90}),
)
async def advance_clock(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Move time forward; listeners (the scheduler) hear of it at once."""
    body = validate_json(ClockAdvance, await request.body())
    try:
        runtime.clock.advance(body.seconds)
    except ClockOutOfRange as error:
        raise BadRequest([f"seconds: {error}"]) from None
    return JsonResponse(_clock(runtime))


# The seed -------------------------------------------------------------------------------


class SeedSetting(_Body):
    seed: Seed | None


_SEED: Responses = {200: answer(SeedSetting, {"seed": 42}, "the seed in force (null: random ids)")}


@router.get("/seed", responses=_SEED)
async def get_seed(runtime: RuntimeDep) -> JsonResponse:
    """The seed of generated ids and tokens."""
    return JsonResponse({"seed": runtime.ids.seed})


@router.put(
    "/seed",
    responses={**_SEED, **error(400, "seed: must be an integer or null", "not a seed")},
    openapi_extra=json_body(SeedSetting, {"seed": 42}),
)
async def put_seed(request: Request, runtime: RuntimeDep) -> JsonResponse:
    """Restart generated ids and tokens from `seed`; null goes back to random ones."""
    body = validate_json(SeedSetting, await request.body())
    runtime.ids.reseed(body.seed)
    return JsonResponse({"seed": runtime.ids.seed})
