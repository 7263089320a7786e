"""The web inbox's own reads and marks: unread counts and read marks, a device's feed, the
first delivery of each send (the text a row shows)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, select, update

from emulator.storage.sends import delivery_item, key_condition
from emulator.storage.tables import deliveries, sends


def count_unread(connection: Connection) -> int:
    """Sends nobody has opened in the web inbox (nor marked read)."""
    query = select(func.count()).select_from(sends).where(sends.c.read_at.is_(None))
    return int(connection.execute(query).scalar_one())


def mark_read(connection: Connection, key: str | None, now: datetime) -> int:
    """Mark one send (by tracking or transaction id) read, or every unread one when `key`
    is None; how many were unread. The first read is the one kept."""
    condition = sends.c.read_at.is_(None)
    if key is not None:
        condition = condition & key_condition(key)
    result = connection.execute(update(sends).where(condition).values(read_at=now))
    return int(result.rowcount)


def deliveries_to_token(
    connection: Connection, send_ids: list[int], token: str
) -> dict[int, list[dict[str, Any]]]:
    """The deliveries to one device token among these sends: what its feed shows."""
    found: dict[int, list[dict[str, Any]]] = {send_id: [] for send_id in send_ids}
    if not send_ids:
        return found
    rows = connection.execute(
        select(deliveries)
        .where(deliveries.c.send_id.in_(send_ids), deliveries.c.token == token)
        .order_by(deliveries.c.id)
    ).mappings()
    for row in rows:
        found[row["send_id"]].append(delivery_item(row))
    return found


def first_deliveries(connection: Connection, send_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Each send's first delivery: what a row of the inbox shows as the text a device got."""
    if not send_ids:
        return {}
    first = (
        select(func.min(deliveries.c.id))
        .where(deliveries.c.send_id.in_(send_ids))
        .group_by(deliveries.c.send_id)
    )
    rows = connection.execute(select(deliveries).where(deliveries.c.id.in_(first))).mappings()
    return {row["send_id"]: delivery_item(row) for row in rows}
