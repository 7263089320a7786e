"""Control of a running emulator: reset, fixture replacement, and marking deliveries engaged."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update

from emulator.errors import BadRequest
from emulator.fixtures import FILES, FixtureError, FixtureSet, load_fixtures, parse_fixtures
from emulator.queries import deliveries, delivery_item
from emulator.retention import clear_journal, clear_sends
from emulator.runtime import Runtime


async def reset(runtime: Runtime) -> None:
    """Recorded data, run-time state and fixtures back to start-up; nothing changes if the
    fixture folder no longer loads (the answer names the file, record and field)."""
    try:
        fixtures = load_fixtures(runtime.settings.fixtures)
    except FixtureError as error:
        raise BadRequest([f"fixtures: {error}"]) from None
    runtime.replace_fixtures(fixtures)
    # In-memory state first, so components with queues (the dispatcher) stop touching rows
    # that are about to go.
    runtime.reset_state()

    def clear(connection: Connection) -> None:
        clear_sends(connection)
        clear_journal(connection)

    await runtime.writer.run(clear)
    runtime.events.publish("reset")


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


def _mark(connection: Connection, delivery_id: int, clicked: bool, now: Any) -> Any:
    # The first open or click is the one kept; a click implies the push was opened.
    values: dict[str, Any] = {"opened_at": func.coalesce(deliveries.c.opened_at, now)}
    if clicked:
        values["clicked_at"] = func.coalesce(deliveries.c.clicked_at, now)
    connection.execute(update(deliveries).where(deliveries.c.id == delivery_id).values(values))
    return (
        connection.execute(select(deliveries).where(deliveries.c.id == delivery_id))
        .mappings()
        .first()
    )


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
    row = await runtime.writer.run(lambda c: _mark(c, delivery_id, clicked, now))
    if row is None:
        return None
    engaged = _engage_device(runtime.fixtures, row["application_id"], row["token"])
    if engaged is not None:
        runtime.replace_fixtures(engaged)
    item = delivery_item(row)
    runtime.events.publish(
        "delivery", id=delivery_id, sendId=row["send_id"], opened=True, clicked=clicked
    )
    return Engagement(item, device_found=engaged is not None)
