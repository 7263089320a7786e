"""Webhook delivery against real local receivers: order, signatures, retries, bounds, resets."""

import hashlib
import hmac
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from emulator.testing import RunningEmulator, run_emulator
from tests.support.demo import DEMO, inline_send
from tests.support.receiver import dead_url, receiving

# Retries a test can wait for: 10 ms, then 20 ms.
FAST: dict[str, Any] = {"webhook_backoff": 0.01}


def send(emulator: RunningEmulator, count: int = 1) -> list[str]:
    """`count` sends through the real API; their tracking ids. Each must be a 200."""
    tracking_ids = []
    with httpx.Client(base_url=emulator.base_url, headers=DEMO) as http:
        for _ in range(count):
            answer = http.post("/push/sendInstant", json=inline_send())
            assert answer.status_code == 200, answer.text
            tracking_ids.append(answer.json()["data"]["trackingId"])
    return tracking_ids


def poke(emulator: RunningEmulator, count: int = 1) -> None:
    """`count` refused logins, each a `request` event whose apiUser is `poke-<n>`."""
    for n in range(count):
        answer = httpx.post(
            f"{emulator.base_url}/login", json={"userkey": f"poke-{n}", "password": "wrong"}
        )
        assert answer.status_code == 401


def metric(emulator: RunningEmulator, name: str, **labels: str) -> float:
    text = httpx.get(f"{emulator.url}/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    raise AssertionError(f"{name}{labels} is not in /metrics")


def expected_signature(secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def test_a_receiver_gets_every_event_signed_and_in_order() -> None:
    with receiving() as receiver, run_emulator(instance="checkout-stack") as emulator:
        emulator.client.webhooks.set(
            [{"url": receiver.url, "events": ["send", "send.status"], "secret": "k3y"}]
        )
        [tracking_id] = send(emulator)
        emulator.client.wait_for_sends()
        got = receiver.wait_for(3)  # Queued (the send), Sending, Completed
    bodies = [item.body for item in got]
    assert [(b["kind"], b["data"]["status"]) for b in bodies] == [
        ("send", "Queued"),
        ("send.status", "Sending"),
        ("send.status", "Completed"),
    ]
    assert all(b["data"]["trackingId"] == tracking_id for b in bodies)
    ids = [b["id"] for b in bodies]
    assert ids == sorted(ids)
    assert len(set(ids)) == 3
    assert {b["instance"] for b in bodies} == {"checkout-stack"}
    assert all(b["at"].endswith("Z") for b in bodies)
    for item in got:
        assert item.path == "/hook"
        assert item.headers["content-type"] == "application/json"
        assert item.headers["x-push-emulator-event"] == item.body["kind"]
        assert item.headers["x-push-emulator-signature"] == expected_signature("k3y", item.raw)


def test_the_event_id_in_a_webhook_is_the_one_on_the_event_stream() -> None:
    with receiving() as receiver, run_emulator() as emulator:
        emulator.client.webhooks.set([{"url": receiver.url, "events": ["send"]}])
        with httpx.stream("GET", f"{emulator.url}/_emulator/events?kinds=send") as stream:
            lines = stream.iter_lines()
            assert next(lines) == ": connected"
            send(emulator)
            sse_id = next(line for line in lines if line)
        [item] = receiver.wait_for(1)
    assert sse_id == f"id: {item.body['id']}"


def test_a_webhook_without_a_secret_is_not_signed_and_carries_its_own_headers() -> None:
    with receiving() as receiver, run_emulator() as emulator:
        emulator.client.webhooks.set(
            [{"url": receiver.url, "events": ["request"], "headers": {"X-Stack": "dev"}}]
        )
        poke(emulator)
        [item] = receiver.wait_for(1)
    assert "x-push-emulator-signature" not in item.headers
    assert item.headers["x-stack"] == "dev"
    assert item.body["kind"] == "request"
    assert item.body["data"]["status"] == 401


def test_a_dead_receiver_neither_blocks_nor_loses_sends_and_its_give_ups_are_logged() -> None:
    with run_emulator(metrics=True, **FAST) as emulator:
        emulator.client.webhooks.set([{"url": dead_url(), "events": ["send"]}])
        tracking_ids = send(emulator, 5)
        assert len(emulator.client.wait_for_sends(count=5)) == 5
        assert {s["trackingId"] for s in emulator.client.sends()} == set(tracking_ids)
        gave_up = emulator.client.webhooks.wait_for_deliveries(count=5, result="gave_up")
        log = emulator.client.webhooks.deliveries(limit=500)
        [status] = emulator.client.webhooks.list()
        counted = {
            result: metric(emulator, "push_emulator_webhook_attempts_total", result=result)
            for result in ("delivered", "failed", "gave_up")
        }
    assert len(gave_up) == 5
    assert counted == {"delivered": 0, "failed": 10, "gave_up": 5}
    # Each event: two failed tries, then the third gives up; newest first.
    for event_id in {a["eventId"] for a in log}:
        tries = [a for a in reversed(log) if a["eventId"] == event_id]
        assert [(a["attempt"], a["result"]) for a in tries] == [
            (1, "failed"),
            (2, "failed"),
            (3, "gave_up"),
        ]
        assert all(a["status"] is None and a["error"] for a in tries)
    assert (status["failed"], status["gaveUp"], status["delivered"]) == (10, 5, 0)


def test_a_receiver_that_never_answers_does_not_hold_up_sends() -> None:
    with receiving() as receiver, run_emulator(webhook_timeout=30, **FAST) as emulator:
        receiver.hold()  # every POST waits, unanswered, until released
        emulator.client.webhooks.set([{"url": receiver.url}])
        tracking_ids = send(emulator, 20)
        emulator.client.wait_for_sends(count=20)
        receiver.wait_for(1)
        # Every send was accepted and fanned out while the first POST was still unanswered:
        # no attempt has ended yet.
        assert emulator.client.webhooks.deliveries() == []
        stored = {s["trackingId"] for s in emulator.client.sends(limit=100)}
        receiver.release()
        emulator.client.webhooks.wait_for_deliveries(result="delivered")
    assert stored == set(tracking_ids)


def test_an_attempt_past_the_timeout_fails_and_is_tried_again() -> None:
    with receiving() as receiver, run_emulator(webhook_timeout=0.2, **FAST) as emulator:
        receiver.hold()
        emulator.client.webhooks.set([{"url": receiver.url, "events": ["request"]}])
        poke(emulator)
        attempts = emulator.client.webhooks.wait_for_deliveries(count=3)
        receiver.release()
    assert [a["result"] for a in reversed(attempts)] == ["failed", "failed", "gave_up"]
    assert {a["error"] for a in attempts} == {"no answer within 0.2 s"}


def test_a_retry_that_succeeds_is_logged_after_the_failure() -> None:
    with receiving(statuses=[500, 200]) as receiver, run_emulator(**FAST) as emulator:
        emulator.client.webhooks.set([{"url": receiver.url, "events": ["request"]}])
        poke(emulator)
        emulator.client.webhooks.wait_for_deliveries(result="delivered")
        attempts = emulator.client.webhooks.deliveries()
        receiver.wait_for(2)
    assert [(a["attempt"], a["result"], a["status"]) for a in reversed(attempts)] == [
        (1, "failed", 500),
        (2, "delivered", 200),
    ]
    assert attempts[1]["error"] == "HTTP 500: ok"


def test_redirects_are_not_followed() -> None:
    with receiving(statuses=[302]) as receiver, run_emulator(**FAST) as emulator:
        emulator.client.webhooks.set([{"url": receiver.url, "events": ["request"]}])
        poke(emulator)
        [last, *_] = emulator.client.webhooks.wait_for_deliveries(result="gave_up")
    assert last["status"] == 302
    assert "redirects are not followed" in (last["error"] or "")
    assert len(receiver.received) == 3  # the Location was never visited


def test_a_full_queue_drops_the_oldest_waiting_events_and_counts_them() -> None:
    with (
        receiving() as receiver,
        run_emulator(webhook_queue=2, metrics=True, **FAST) as emulator,
    ):
        receiver.hold()
        emulator.client.webhooks.set([{"url": receiver.url, "events": ["request"]}])
        poke(emulator, 6)
        # Read after every journal row committed, so all six events were handed over.
        assert len(emulator.client.requests(path="/rest/login")) == 6
        # The first event is being POSTed (held); five more arrive for a queue of
        # two: the three oldest of them are dropped.
        receiver.wait_for(1)
        [status] = emulator.client.webhooks.list()
        assert metric(emulator, "push_emulator_webhook_events_dropped_total") == 3
        assert metric(emulator, "push_emulator_webhook_events_queued") == 2
        receiver.release()
        receiver.wait_for(3)
        emulator.client.webhooks.wait_for_deliveries(count=3, result="delivered")
        users = [b["data"]["apiUser"] for b in receiver.bodies()]
    # Six events, one under way, two waiting: three were dropped, and the two kept are the
    # newest, delivered after the one under way.
    assert (status["dropped"], status["queued"]) == (3, 2)
    assert len(users) == 3
    assert users[1:] == ["poke-4", "poke-5"]


def test_delay_ms_holds_each_event_back() -> None:
    with receiving() as receiver, run_emulator() as emulator:
        emulator.client.webhooks.set([{"url": receiver.url, "events": ["request"], "delayMs": 300}])
        poke(emulator)
        [item] = receiver.wait_for(1)
        [attempt] = emulator.client.webhooks.wait_for_deliveries()
    published = datetime.fromisoformat(item.body["at"].replace("Z", "+00:00"))
    started = datetime.fromisoformat(attempt["at"].replace("Z", "+00:00"))
    # The loop's timers may fire up to its clock's resolution early; 10 ms is ample.
    assert (started - published).total_seconds() >= 0.29


def test_the_preset_file_is_in_force_at_start_and_again_after_a_reset(tmp_path: Path) -> None:
    with receiving() as receiver:
        presets = tmp_path / "webhooks.json"
        presets.write_text(json.dumps([{"url": receiver.url, "events": ["reset"]}]))
        with run_emulator(webhooks=presets) as emulator:
            assert [w["webhook"]["url"] for w in emulator.client.webhooks.list()] == [receiver.url]
            emulator.client.webhooks.clear()
            assert emulator.client.webhooks.list() == []
            emulator.client.reset()
            assert [w["webhook"]["url"] for w in emulator.client.webhooks.list()] == [receiver.url]
            [item] = receiver.wait_for(1)
            assert item.body["kind"] == "reset"
            emulator.client.webhooks.wait_for_deliveries()
            emulator.client.reset()  # the log is cleared, then this reset is delivered
            [attempt] = emulator.client.webhooks.wait_for_deliveries()
    assert attempt["eventId"] != item.body["id"]
