"""/_emulator/webhooks: set, show (secrets masked) and clear webhooks; read their log."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.demo import payload

HOOK = {
    "url": "https://hooks:pa55word@receiver.test:8443/in?token=abc123&team=core",
    "events": ["send", "send.status"],
    "secret": "a-long-shared-secret",
    "delayMs": 250,
    "headers": {"Authorization": "Bearer receiver-token"},
}


def test_no_webhooks_by_default(client: TestClient) -> None:
    assert client.get("/_emulator/webhooks").json() == []
    assert client.get("/_emulator/webhooks/deliveries").json() == {"items": [], "nextCursor": None}


def test_put_sets_them_and_get_shows_them_with_every_secret_masked(client: TestClient) -> None:
    put = client.put("/_emulator/webhooks", json=[HOOK, {"url": "http://worker:9000/"}])
    assert put.status_code == 200, put.text
    shown = client.get("/_emulator/webhooks").json()
    assert shown == put.json()
    first, second = shown
    assert first == {
        "index": 0,
        "webhook": {
            "url": "https://hooks:****@receiver.test:8443/in?token=%2A%2A%2A%2A&team=%2A%2A%2A%2A",
            "events": ["send", "send.status"],
            "secret": "a-lo…et",
            "delayMs": 250,
            "headers": {"Authorization": "****"},
        },
        "queued": 0,
        "delivered": 0,
        "failed": 0,
        "gaveUp": 0,
        "dropped": 0,
    }
    assert second["webhook"]["events"] == ["*"]  # every kind when left out
    text = client.get("/_emulator/webhooks").text
    for secret in ("pa55word", "abc123", "a-long-shared-secret", "receiver-token"):
        assert secret not in text


def test_delete_turns_them_all_off(client: TestClient) -> None:
    client.put("/_emulator/webhooks", json=[HOOK])
    assert client.delete("/_emulator/webhooks").json() == []
    assert client.get("/_emulator/webhooks").json() == []


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("webhook_url_not_http.json", "[0].url: must be an http or https URL (got scheme 'ftp')"),
        ("webhook_event_kind_unknown.json", "[0].events[1]: must be one of *, request, send,"),
        ("webhook_on_its_own_attempts.json", "[0].events[0]: must be one of"),
        (
            "webhook_header_reserved.json",
            "[0].headers.X-Push-Emulator-Signature: is set by the emulator on every delivery",
        ),
        ("webhook_delay_too_long.json", "[0].delayMs: must be at most 60000"),
        ("webhook_unknown_field.json", "[0].retries: is not a known field"),
        ("webhooks_not_an_array.json", "body: must be an array of webhooks"),
    ],
)
def test_a_bad_webhook_is_a_400_naming_the_field_and_nothing_changes(
    client: TestClient, name: str, problem: str
) -> None:
    client.put("/_emulator/webhooks", json=[HOOK])
    before = client.get("/_emulator/webhooks").json()
    response = client.put(
        "/_emulator/webhooks",
        content=payload(name),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert any(p.startswith(problem) for p in body["errors"]), body["errors"]
    assert client.get("/_emulator/webhooks").json() == before


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"resutl": "delivered"}, "unknown filter 'resutl'; did you mean 'result'?"),
        ({"result": "ok"}, "result: must be one of delivered, failed, gave_up"),
        ({"eventId": "seven"}, "eventId: must be a whole number"),
        ({"limit": "501"}, "limit: must be between 1 and 500"),
    ],
)
def test_the_log_refuses_unknown_or_bad_filters(
    client: TestClient, params: dict[str, Any], problem: str
) -> None:
    response = client.get("/_emulator/webhooks/deliveries", params=params)
    assert response.status_code == 400
    [found] = response.json()["errors"]
    assert found.startswith(problem)


def test_a_wait_that_is_not_met_is_a_408_with_the_newest_other_attempts(
    client: TestClient,
) -> None:
    response = client.get(
        "/_emulator/webhooks/deliveries/wait", params={"result": "delivered", "timeout": "0"}
    )
    assert response.status_code == 408
    body = response.json()
    assert body["code"] == 408
    assert body["message"] == "Timed out after 0s: 0 of 1 webhook attempt(s) matched."
    assert (body["matched"], body["nearMisses"]) == (0, [])


def test_the_wait_refuses_an_unknown_parameter(client: TestClient) -> None:
    response = client.get("/_emulator/webhooks/deliveries/wait", params={"counts": "2"})
    assert response.status_code == 400
    [problem] = response.json()["errors"]
    assert problem.startswith("unknown filter 'counts'; did you mean 'count'?")


def test_every_webhook_route_documents_its_answer(client: TestClient) -> None:
    paths = client.get("/_emulator/openapi.json").json()["paths"]
    for path in (
        "/_emulator/webhooks",
        "/_emulator/webhooks/deliveries",
        "/_emulator/webhooks/deliveries/wait",
    ):
        for method, operation in paths[path].items():
            answer = operation["responses"]["200"]["content"]["application/json"]
            assert "schema" in answer, (method, path)
    put = paths["/_emulator/webhooks"]["put"]["requestBody"]["content"]["application/json"]
    assert put["example"][0]["url"].startswith("http")
