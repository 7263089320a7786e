"""The client's controls: `client.faults`, `client.rate_limits`, `client.clock`,
`client.webhooks`."""

import contextlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from emulator.client.errors import EmulatorError, WebhookWaitTimeout
from emulator.client.keywords import query_params
from emulator.client.shapes import (
    Bucket,
    ClockState,
    FaultState,
    RateLimits,
    WebhookAttempt,
    WebhookState,
)
from emulator.filters import PAGE_PARAMS, WEBHOOK_LOG_FILTERS

# The client's one way to call the API: method, path, keyword arguments of httpx.
Call = Callable[..., Any]
# Spelt once out here: inside Faults and Webhooks, `list` is a method.
FaultStates = list[FaultState]
WebhookStates = list[WebhookState]
WebhookAttempts = list[WebhookAttempt]


class Faults:
    """Fault rules (README, "Fault injection"): `set`, `add`, `remove`, `clear`, `list`, and
    `inject(rule)` for the length of a `with` block."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def list(self) -> FaultStates:
        """The rules in force, each with its id, how often it fired and what is left of it."""
        return cast(FaultStates, self._call("GET", "/faults"))

    def set(self, rules: Sequence[Mapping[str, Any]]) -> FaultStates:
        """Replace every rule (counters and TTLs start again); [] turns faults off."""
        return cast(FaultStates, self._call("PUT", "/faults", json=list(rules)))

    def add(self, rule: Mapping[str, Any]) -> FaultState:
        """One more rule after those in force, which keep their counters."""
        return cast(FaultState, self._call("POST", "/faults", json=dict(rule)))

    def remove(self, rule_id: int) -> FaultStates:
        """Remove one rule by its id; answers the rules left."""
        return cast(FaultStates, self._call("DELETE", f"/faults/{rule_id}"))

    def clear(self) -> None:
        self._call("DELETE", "/faults")

    @contextlib.contextmanager
    def inject(self, rule: Mapping[str, Any]) -> Iterator[FaultState]:
        """The rule is in force inside the block and removed after it, even on an error;
        the other rules are left as they were."""
        added = self.add(rule)
        try:
            yield added
        finally:
            try:
                self.remove(added["id"])
            except EmulatorError as error:
                if error.status != 404:  # gone already: a reset or clear inside the block
                    raise


class RateLimitControl:
    """Token buckets per API user (README, "Rate limits")."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def get(self) -> RateLimits:
        return cast(RateLimits, self._call("GET", "/rate-limits"))

    def set(
        self,
        default: Bucket | Mapping[str, Any] | None = None,
        users: Mapping[str, Bucket | Mapping[str, Any]] | None = None,
    ) -> RateLimits:
        """Replace the per-user buckets (and the default, if given); every bucket restarts
        full. A bucket is {"capacity": 5, "refillPerSecond": 0}."""
        body: dict[str, Any] = {"users": {user: dict(b) for user, b in (users or {}).items()}}
        if default is not None:
            body["default"] = dict(default)
        return cast(RateLimits, self._call("PUT", "/rate-limits", json=body))


class ClockControl:
    """The emulator's clock (README, "The clock and the seed"): move time, never sleep."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def get(self) -> ClockState:
        return cast(ClockState, self._call("GET", "/clock"))

    def now(self) -> datetime:
        return datetime.fromisoformat(self.get()["now"])

    def freeze(self, at: datetime | str | None = None) -> ClockState:
        """Stop time at `at` (a datetime or ISO 8601; no zone means UTC), or at now."""
        body: dict[str, Any] = {"mode": "frozen"}
        if at is not None:
            body["at"] = at.isoformat() if isinstance(at, datetime) else at
        return cast(ClockState, self._call("PUT", "/clock", json=body))

    def advance(self, seconds: float) -> ClockState:
        """Move time forward; due scheduled sends go out, tokens and fault TTLs age."""
        return cast(ClockState, self._call("POST", "/clock/advance", json={"seconds": seconds}))

    def offset(self, seconds: float) -> ClockState:
        """Real time, `seconds` ahead (or behind, if negative)."""
        body = {"mode": "offset", "offsetSeconds": seconds}
        return cast(ClockState, self._call("PUT", "/clock", json=body))

    def real(self) -> ClockState:
        return cast(ClockState, self._call("PUT", "/clock", json={"mode": "real"}))


class Webhooks:
    """Webhooks (README, "Webhooks"): `set`, `list`, `clear`, their `deliveries(...)` log,
    and `wait_for_deliveries(...)` instead of sleeping."""

    def __init__(self, call: Call) -> None:
        self._call = call

    def list(self) -> WebhookStates:
        """The webhooks in force, each with its queue and counts (secrets masked)."""
        return cast(WebhookStates, self._call("GET", "/webhooks"))

    def set(self, webhooks: Sequence[Mapping[str, Any]]) -> WebhookStates:
        """Replace the webhooks ([{"url": ..., "events": [...], "secret": ...}]); until reset."""
        return cast(WebhookStates, self._call("PUT", "/webhooks", json=[dict(w) for w in webhooks]))

    def clear(self) -> None:
        self._call("DELETE", "/webhooks")

    def deliveries(self, **filters: Any) -> WebhookAttempts:
        """One page of attempts, newest first; filters `result`, `event_kind`, `event_id`,
        `webhook`, `limit` (default 50), `cursor`."""
        params = query_params("webhooks.deliveries", filters, WEBHOOK_LOG_FILTERS, PAGE_PARAMS)
        return cast(
            WebhookAttempts, self._call("GET", "/webhooks/deliveries", params=params)["items"]
        )

    def wait_for_deliveries(
        self, count: int = 1, timeout: float = 10.0, **filters: Any
    ) -> WebhookAttempts:
        """Block until `count` matching attempts are in the log (e.g. `result="delivered"`);
        raise WebhookWaitTimeout, with the newest others, after `timeout` seconds."""
        params = query_params("webhooks.wait_for_deliveries", filters, WEBHOOK_LOG_FILTERS)
        params |= {"count": str(count), "timeout": str(timeout)}
        try:
            answer = self._call(
                "GET", "/webhooks/deliveries/wait", params=params, timeout=timeout + 30.0
            )
        except EmulatorError as error:
            if error.status == 408:
                raise WebhookWaitTimeout(error.body) from None
            raise
        return cast(WebhookAttempts, answer["items"])
