"""Control of a running emulator: reset, fixture replacement, and marking deliveries engaged."""

from dataclasses import dataclass
from typing import Any

from emulator.bodies import validate
from emulator.errors import BadRequest
from emulator.events import DELIVERY, RESET
from emulator.push.auth import TRANSACTIONAL_CALL, bucket_key
from emulator.push.fixtures import FILES, ApiUser, FixtureError, FixtureSet, parse_fixtures
from emulator.push.ratelimit import BucketConfig
from emulator.push.users import NewApiUser
from emulator.runtime import Runtime
from emulator.storage.deliveries import mark_engaged
from emulator.storage.retention import clear_all, purge_api_user
from emulator.storage.sends import delivery_item


async def reset(runtime: Runtime, keep_tokens: bool = False) -> None:
    """Recorded data, run-time state and fixtures back to start-up; nothing changes if the
    fixture folder no longer loads (the answer names the file, record and field).

    `keep_tokens` leaves access tokens from /rest/login valid, so an app client logged in
    once per test session survives the reset before each test."""
    try:
        fixtures = runtime.folder.load()
    except FixtureError as error:
        raise BadRequest([f"fixtures: {error}"]) from None
    runtime.replace_fixtures(fixtures)
    # In-memory state first, so components with queues (the dispatcher) stop touching rows
    # that are about to go.
    runtime.reset_state(keep_tokens)

    await runtime.writer.run(clear_all)
    runtime.events.publish(RESET)


def replace_fixtures(runtime: Runtime, data: Any) -> FixtureSet:
    """All or nothing, with the start-up validation; a 400 names file, record and field."""
    if not isinstance(data, dict):
        raise BadRequest(
            [f"body: must be a JSON object of fixture files ({', '.join(FILES)}) to record lists"]
        )
    try:
        fixtures = parse_fixtures(data, "body")
    except FixtureError as error:
        raise BadRequest([str(error)]) from None
    runtime.replace_fixtures(fixtures)
    return fixtures


@dataclass(frozen=True)
class Engagement:
    delivery: dict[str, Any]
    device_found: bool


def _engage_device(fixtures: FixtureSet, application_id: str, token: str) -> FixtureSet | None:
    """The fixtures with that device engaged, or None when no such device is loaded."""
    devices = list(fixtures.devices)
    for index, device in enumerate(devices):
        if device.token == token and device.applicationId.lower() == application_id.lower():
            devices[index] = device.model_copy(update={"engaged": True})
            # A new set, so every index built from the devices sees the change.
            return FixtureSet(
                **{**{name: getattr(fixtures, name) for name in FILES}, "devices": devices}
            )
    return None


async def engage(runtime: Runtime, delivery_id: int, clicked: bool) -> Engagement | None:
    """Mark a delivery opened (or clicked) and its device engaged, in memory: the device
    stays engaged until a reset, a fixture replacement or a restart, as fixtures are data."""
    now = runtime.clock.now()
    row = await runtime.writer.run(lambda c: mark_engaged(c, delivery_id, clicked, now))
    if row is None:
        return None
    engaged = _engage_device(runtime.fixtures, row["application_id"], row["token"])
    if engaged is not None:
        runtime.replace_fixtures(engaged)
    item = delivery_item(row)
    runtime.events.publish(
        DELIVERY,
        id=delivery_id,
        sendId=row["send_id"],
        opened=True,
        clicked=clicked,
        apiUser=row["api_user"],
    )
    return Engagement(item, device_found=engaged is not None)


def create_user(runtime: Runtime, data: Any) -> ApiUser:
    """A run-time API user from POST /_emulator/api-users; what is left out is generated
    (from the runtime's ids, so a seeded run creates the same users)."""
    if not isinstance(data, dict):
        raise BadRequest(["body: must be a JSON object (an empty one generates everything)"])
    user = validate(NewApiUser, data).complete(runtime.ids.token)
    runtime.users.add(user)
    for limit, key in (
        (user.rateLimit, user.userkey),
        (user.transactionalRateLimit, bucket_key(user, TRANSACTIONAL_CALL)),
    ):
        if limit is not None:
            runtime.limiter.override(key, BucketConfig(limit.capacity, limit.refillPerSecond))
    return user


async def delete_user(runtime: Runtime, userkey: str, purge: bool) -> dict[str, int] | None:
    """Remove a run-time API user: its tokens (static and issued), its buckets, and with
    `purge` its sends, deliveries and journal rows; how many of each went, when purged."""
    user = runtime.users.remove(userkey)
    runtime.tokens.revoke(userkey)
    runtime.limiter.forget(userkey)
    runtime.limiter.forget(bucket_key(user, TRANSACTIONAL_CALL))
    if not purge:
        return None
    return await runtime.writer.run(lambda c: purge_api_user(c, userkey))
