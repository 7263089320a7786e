"""Control of a running emulator: reset, fixture replacement, marking deliveries engaged,
dispatching a scheduled send now, and the inbox's read marks."""

from dataclasses import dataclass
from typing import Any

from emulator.bodies import validate
from emulator.errors import BadRequest, Conflict, NotFound
from emulator.events import DELIVERY, RESET, SEND_READ
from emulator.push.auth import TRANSACTIONAL_CALL, bucket_key
from emulator.push.fixtures import FILES, ApiUser, FixtureError, FixtureSet, parse_fixtures
from emulator.push.ratelimit import BucketConfig
from emulator.push.registry import engage_device
from emulator.push.users import NewApiUser
from emulator.runtime import Runtime
from emulator.storage.deliveries import mark_engaged
from emulator.storage.dispatch import dispatch_now as move_schedule_to_now
from emulator.storage.inbox import mark_read as mark_sends_read
from emulator.storage.paging import iso
from emulator.storage.retention import clear_all, purge_api_user
from emulator.storage.sends import delivery_item, send_exists
from emulator.storage.tables import SCHEDULED


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


async def engage(runtime: Runtime, delivery_id: int, clicked: bool) -> Engagement | None:
    """Mark a delivery opened (or clicked) and its device engaged, in memory: the device
    stays engaged until a reset, a fixture replacement or a restart, as fixtures are data."""
    now = runtime.clock.now()
    row = await runtime.writer.run(lambda c: mark_engaged(c, delivery_id, clicked, now))
    if row is None:
        return None
    application_id, token = row["application_id"], row["token"]
    runtime.change_fixtures(lambda f: (engage_device(f, application_id, token), None))
    found = (application_id.lower(), token) in runtime.fixtures.devices_by_token
    item = delivery_item(row)
    runtime.events.publish(
        DELIVERY,
        id=delivery_id,
        sendId=row["send_id"],
        opened=True,
        clicked=clicked,
        apiUser=row["api_user"],
    )
    return Engagement(item, device_found=found)


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


async def dispatch_now(runtime: Runtime, key: str) -> dict[str, Any]:
    """Move a Scheduled send's schedule to the emulator's now and wake the dispatcher: the
    send fans out as if its time had come. The request keeps the scheduleDate it was sent
    with; `scheduledFor` in the answer says what the schedule was."""
    now = runtime.clock.now()
    send = await runtime.writer.run(lambda c: move_schedule_to_now(c, key, now))
    if send is None:
        raise NotFound(f"No send with tracking id or transaction id {key!r}.")
    if send["status"] != SCHEDULED:
        raise Conflict(
            [
                f"send {send['transactionId']}: is {send['status']}, not Scheduled; only a "
                "scheduled send can be dispatched now"
            ]
        )
    runtime.dispatcher.wake()
    return {
        "trackingId": send["trackingId"],
        "transactionId": send["transactionId"],
        "scheduledFor": send["scheduleAt"],
        "scheduleAt": iso(now),
    }


async def mark_read(runtime: Runtime, key: str | None) -> int:
    """Mark one send (or, with no key, every send) read, as opening it in the inbox does;
    how many were unread. A key naming no send is a 404."""
    now = runtime.clock.now()
    if key is not None:
        found = await runtime.read(lambda c: send_exists(c, key))
        if not found:
            raise NotFound(f"No send with tracking id or transaction id {key!r}.")
    marked = await runtime.writer.run(lambda c: mark_sends_read(c, key, now))
    if marked:
        runtime.events.publish(SEND_READ, key=key, marked=marked)
    return marked
