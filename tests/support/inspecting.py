"""Helpers for the /_emulator tests: make sends, and stand in for the dispatcher."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, update

from emulator.storage.tables import DELIVERED, deliveries, sends
from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, DEMO, inline_send


def post_send(client: TestClient, **extra: Any) -> dict[str, Any]:
    response = client.post("/rest/push/sendInstant", json=inline_send(**extra), headers=DEMO)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def send_id_of(client: TestClient, transaction_id: str) -> int:
    return int(client.get(f"/_emulator/sends/{transaction_id}").json()["id"])


def add_delivery(client: TestClient, send_id: int, token: str, **fields: Any) -> int:
    """A Delivery row as the dispatcher would write it."""
    runtime = runtime_of(client)
    row = {
        "send_id": send_id,
        "token": token,
        "application_id": ANDROID_APP,
        "platform": "android",
        "extra": {},
        "status": DELIVERED,
        "created_at": runtime.clock.now(),
        **fields,
    }
    result = runtime.writer.run_sync(
        lambda c: c.execute(insert(deliveries).returning(deliveries.c.id), row).scalar_one()
    )
    runtime.writer.run_sync(
        lambda c: c.execute(
            update(sends)
            .where(sends.c.id == send_id)
            .values(delivery_count=sends.c.delivery_count + 1)
        )
    )
    return int(result)


def set_status(client: TestClient, send_id: int, status: str) -> None:
    """Move a send as the dispatcher does: commit, then publish send.status."""
    runtime = runtime_of(client)
    runtime.writer.run_sync(
        lambda c: c.execute(update(sends).where(sends.c.id == send_id).values(status=status))
    )
    runtime.events.publish("send.status", id=send_id, trackingId=None, status=status)


def hold_dispatcher(client: TestClient) -> None:
    """Stop the dispatcher, so sends stay as accepted and deliveries are only the ones a
    test writes (add_delivery); a test that wants the real fan-out leaves it running."""
    runtime_of(client).dispatcher.stop()
