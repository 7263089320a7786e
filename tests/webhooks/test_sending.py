"""One attempt's body, headers and signature, as a receiver checks them."""

import hashlib
import hmac
from datetime import UTC, datetime

import orjson

from emulator.events import Event
from emulator.webhooks.rules import parse_webhooks
from emulator.webhooks.sending import event_body, request_headers, signature

EVENT = Event(
    "send.status",
    {"id": 3, "trackingId": "t-1", "status": "Completed"},
    id=41,
    at=datetime(2030, 1, 1, 10, 0, 0, 500000, tzinfo=UTC),
)


def test_the_body_is_the_events_data_with_its_id_kind_time_and_instance() -> None:
    assert orjson.loads(event_body(EVENT, "stack-a")) == {
        "id": 41,
        "kind": "send.status",
        "at": "2030-01-01T10:00:00.500000Z",
        "instance": "stack-a",
        "data": {"id": 3, "trackingId": "t-1", "status": "Completed"},
    }


def test_the_signature_is_the_hmac_sha256_of_the_exact_body() -> None:
    body = event_body(EVENT, "stack-a")
    digest = hmac.new(b"k3y", body, hashlib.sha256).hexdigest()
    assert signature("k3y", body) == f"sha256={digest}"
    assert signature("k3y", body + b" ") != signature("k3y", body)


def test_headers_carry_the_kind_the_signature_and_the_rules_own() -> None:
    signed, plain = parse_webhooks(
        [
            {"url": "http://a/", "secret": "k3y", "headers": {"X-Stack": "dev"}},
            {"url": "http://b/"},
        ]
    )
    body = event_body(EVENT, "stack-a")
    headers = request_headers(signed, EVENT, body)
    assert headers["X-Push-Emulator-Event"] == "send.status"
    assert headers["X-Push-Emulator-Signature"] == signature("k3y", body)
    assert headers["X-Stack"] == "dev"
    assert headers["Content-Type"] == "application/json"
    assert "X-Push-Emulator-Signature" not in request_headers(plain, EVENT, body)
