"""The /_emulator OpenAPI document: every route complete, and every answer as documented."""

import json
import re
from typing import Any

import pytest
from fastapi import routing
from fastapi.testclient import TestClient

from emulator import CONTROL_PREFIX
from emulator.app import create_app
from emulator.openapi import EVENT_STREAM, JSON, NDJSON
from emulator.push.openapi import rest_document
from emulator.routes.docs import control_document
from emulator.settings import Settings
from tests.support.demo import DEMO, inline_send
from tests.support.openapi import check_answer, operations, validate

BODY_METHODS = {"POST", "PUT", "PATCH"}


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    answer = client.get(f"{CONTROL_PREFIX}/openapi.json")
    assert answer.status_code == 200
    served: dict[str, Any] = answer.json()
    return served


def _documented_routes(client: TestClient) -> list[tuple[str, str]]:
    """Every FastAPI route meant for the document (routers are included lazily since
    FastAPI 0.13x: iter_route_contexts flattens them where it exists)."""
    routes = client.app.routes  # type: ignore[attr-defined]
    flatten = getattr(routing, "iter_route_contexts", lambda given: given)
    found = []
    for route in flatten(routes):
        original = getattr(route, "original_route", route)
        if isinstance(original, routing.APIRoute) and route.include_in_schema:
            # The document spells {token:path} as {token}.
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
            found += [(method, path) for method in sorted(route.methods)]
    return found


def test_every_control_route_has_parameters_answers_and_examples(
    client: TestClient, document: dict[str, Any]
) -> None:
    routes = _documented_routes(client)
    assert len(routes) >= 23
    missing: list[str] = []
    for method, path in routes:
        operation = document["paths"].get(path, {}).get(method.lower())
        where = f"{method} {path}"
        if operation is None:
            missing.append(f"{where}: not in the document")
            continue
        if not operation.get("description"):
            missing.append(f"{where}: no description (a docstring)")
        answers = operation["responses"]
        if not any(status.startswith("2") for status in answers):
            missing.append(f"{where}: no 2xx answer")
        if "422" in answers:
            missing.append(f"{where}: documents a 422; this app answers 400")
        for status, described in answers.items():
            for media_type, content in described.get("content", {"-": {}}).items():
                if not content.get("schema"):
                    missing.append(f"{where} {status} {media_type}: no schema (or {{}})")
                if "example" not in content:
                    missing.append(f"{where} {status} {media_type}: no example")
        for parameter in operation.get("parameters", []):
            if not parameter.get("description") or not parameter.get("schema"):
                missing.append(f"{where}: parameter {parameter['name']} undescribed")
        body = operation.get("requestBody", {}).get("content", {}).get(JSON)
        if body is not None and (not body.get("schema") or "example" not in body):
            missing.append(f"{where}: request body without schema or example")
    assert missing == [], "Describe these in the route's decorator:\n" + "\n".join(missing)


def test_a_route_documents_a_request_body_exactly_when_it_reads_one(
    client: TestClient, document: dict[str, Any]
) -> None:
    # Not JSON: a route that reads its body refuses it with a 400 naming the body.
    for method, path in _documented_routes(client):
        if method not in BODY_METHODS:
            continue
        concrete = path.replace("{delivery_id}", "1")
        answer = client.request(
            method, concrete, content=b"{", headers={"Content-Type": "application/json"}
        )
        reads_body = answer.status_code == 400 and "body" in answer.json()["message"]
        documented = "requestBody" in document["paths"][path][method.lower()]
        assert documented == reads_body, (method, path, answer.status_code)


@pytest.mark.parametrize("which", ["control", "rest"])
def test_every_example_matches_its_schema(client: TestClient, which: str) -> None:
    document = (
        control_document(client.app.fastapi)  # type: ignore[attr-defined]
        if which == "control"
        else rest_document()
    )
    checked = 0
    for _path, _method, operation in operations(document):
        contents = [operation.get("requestBody", {}).get("content", {})]
        contents += [answer.get("content", {}) for answer in operation["responses"].values()]
        for content in contents:
            for media_type, described in content.items():
                if media_type == JSON:
                    validate(document, described["schema"], described["example"])
                elif media_type == NDJSON:
                    for line in described["example"].splitlines():
                        validate(document, described["itemSchema"], json.loads(line))
                checked += 1
    assert checked >= (50 if which == "control" else 15)


def _event_schemas(document: dict[str, Any]) -> dict[str, Any]:
    stream = document["paths"]["/_emulator/events"]["get"]["responses"]["200"]["content"]
    items = stream[EVENT_STREAM]["itemSchema"]["oneOf"]
    return {
        item["properties"]["event"]["const"]: item["properties"]["data"]["contentSchema"]
        for item in items
    }


def test_every_answer_of_a_session_matches_the_document(
    client: TestClient, document: dict[str, Any]
) -> None:
    """A session that calls every operation, the ways it can fail included: each answer is
    what the document says. A new route needs a call here as well as its description."""
    seen: set[str] = set()

    def call(method: str, path: str, status: int, **kwargs: Any) -> Any:
        answer = client.request(method, CONTROL_PREFIX + path, **kwargs)
        assert answer.status_code == status, (method, path, answer.text)
        if answer.headers["content-type"].startswith(NDJSON):
            schema = document["paths"][CONTROL_PREFIX + path.split("?")[0]]["get"]
            line_schema = schema["responses"]["200"]["content"][NDJSON]["itemSchema"]
            for line in answer.text.splitlines():
                validate(document, line_schema, json.loads(line))
            seen.add(f"{method} {CONTROL_PREFIX}{path.split('?')[0]}")
        else:
            seen.add(check_answer(document, answer))
        return answer

    fixtures = call("GET", "/fixtures", 200).json()
    call("PUT", "/fixtures", 200, json=fixtures)
    call("PUT", "/fixtures", 400, json={"devices": [{"token": "t"}]})
    with client.stream("GET", f"{CONTROL_PREFIX}/events") as stream:
        lines = stream.iter_lines()
        assert next(lines) == ": connected"
        sent = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
        kinds = _event_schemas(document)
        kind = None
        for line in lines:
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind is not None:
                validate(document, kinds[kind], json.loads(line.removeprefix("data: ")))
                if kind == "send.status" and "Completed" in line:
                    break
    seen.add(f"GET {CONTROL_PREFIX}/events")
    call("GET", "/events?kinds=sends", 400)
    tracking_id = sent.json()["data"]["trackingId"]
    call("GET", "/sends/wait?count=1&timeout=10", 200)
    call("GET", "/sends/wait?count=2&timeout=0.05", 408)
    call("GET", "/sends/wait?count=none", 400)
    call("GET", "/sends", 200)
    call("GET", "/sends?status=done", 400)
    detail = call("GET", f"/sends/{tracking_id}", 200).json()
    call("GET", "/sends/no-such-send", 404)
    call("POST", f"/sends/{tracking_id}/read", 200)
    call("POST", "/sends/read", 200)
    call("POST", f"/sends/{tracking_id}/dispatch", 409)
    call("POST", "/sends/no-such-send/dispatch", 404)
    later = client.post(
        "/rest/push/sendInstant",
        json=inline_send(scheduleDate="2099-01-01 09:00"),
        headers=DEMO,
    ).json()["data"]["trackingId"]
    call("POST", f"/sends/{later}/dispatch", 200)
    delivery = detail["deliveries"][0]["id"]
    call("POST", f"/deliveries/{delivery}/open", 200)
    call("POST", f"/deliveries/{delivery}/click", 200)
    call("POST", "/deliveries/999999/open", 404)
    call("POST", "/deliveries/0/click", 400)
    call("GET", "/requests", 200)
    call("GET", "/requests?status=often", 400)
    call("GET", "/export", 200)
    call("GET", "/export?since=yesterday", 400)
    rules = [{"action": {"type": "latency", "ms": 1}, "trigger": {"times": 1}}]
    call("PUT", "/faults", 200, json=rules)
    call("GET", "/faults", 200)
    call("PUT", "/faults", 400, json=[{"action": {"type": "explode"}}])
    added = call("POST", "/faults", 200, json=rules[0]).json()
    call("POST", "/faults", 400, json={"action": {"type": "explode"}})
    call("DELETE", f"/faults/{added['id']}", 200)
    call("DELETE", f"/faults/{added['id']}", 404)
    call("DELETE", "/faults", 200)
    limits = call("GET", "/rate-limits", 200).json()
    call("PUT", "/rate-limits", 200, json=limits)
    call("PUT", "/rate-limits", 400, json={"users": {"demo-user": {"capacity": 0}}})
    call("GET", "/clock", 200)
    call("PUT", "/clock", 200, json={"mode": "frozen", "at": "2030-01-01T00:00:00Z"})
    call("PUT", "/clock", 400, json={"mode": "offset"})
    call("POST", "/clock/advance", 200, json={"seconds": 90})
    call("POST", "/clock/advance", 400, json={"seconds": -1})
    call("PUT", "/seed", 200, json={"seed": 42})
    call("PUT", "/seed", 400, json={"seed": "forty-two"})
    call("GET", "/seed", 200)
    created = call("POST", "/api-users", 201, json={}).json()
    call("POST", "/api-users", 409, json={"userkey": created["userkey"]})
    call("POST", "/api-users", 400, json={"permissions": ["admin"]})
    call("GET", "/api-users", 200)
    call("DELETE", f"/api-users/{created['userkey']}?purge=true", 200)
    call("DELETE", "/api-users/demo-user", 409)
    call("DELETE", "/api-users/nobody", 404)
    # A receiver that is not there: every attempt fails at once, and is logged.
    hook = [{"url": "http://127.0.0.1:9/hook", "events": ["send"]}]
    call("PUT", "/webhooks", 200, json=hook)
    call("PUT", "/webhooks", 400, json=[{"url": "nowhere"}])
    call("GET", "/webhooks", 200)
    client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    call("GET", "/webhooks/deliveries/wait?count=1&timeout=20", 200)
    call("GET", "/webhooks/deliveries/wait?count=1000&timeout=0.05", 408)
    call("GET", "/webhooks/deliveries/wait?result=ok", 400)
    call("GET", "/webhooks/deliveries", 200)
    call("GET", "/webhooks/deliveries?result=ok", 400)
    call("DELETE", "/webhooks/deliveries", 200)
    call("DELETE", "/webhooks", 200)
    # The device registry, its contacts, outcome rules and a device's own feed.
    call("GET", "/devices?applicationId=3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b&limit=2", 200)
    call("GET", "/devices?platform=ios", 400)
    device = {"token": "fcm-documented", "applicationId": "3f1c2a9e-7b4d-4e21-9a0b-5d6e7f809a1b"}
    call("POST", "/devices", 201, json=device)
    call("POST", "/devices", 409, json=device)
    call("POST", "/devices", 400, json={"token": "x"})
    call("GET", "/devices/fcm-documented", 200)
    call("GET", "/devices/nobody", 404)
    call("PATCH", "/devices/fcm-documented", 200, json={"outcome": "throttled"})
    call("PATCH", "/devices/fcm-documented", 400, json={"token": "other"})
    call("PATCH", "/devices/nobody", 404, json={"engaged": True})
    call("DELETE", "/devices/fcm-documented", 200)
    call("DELETE", "/devices/fcm-documented", 404)
    call("GET", "/devices/fcm-ada-pixel8/inbox", 200)
    call("GET", "/devices/fcm-ada-pixel8/inbox?app=x", 400)
    with client.stream("GET", f"{CONTROL_PREFIX}/devices/fcm-ada-pixel8/events") as stream:
        assert next(stream.iter_lines()) == ": connected"
    seen.add(f"GET {CONTROL_PREFIX}/devices/{{token}}/events")
    call("GET", "/devices/fcm-ada-pixel8/events?app=x", 400)
    table = "0d4e8b2a-6c1f-4a3e-9b5d-7f2a4c6e8b0d"
    call("GET", f"/contacts?tableId={table}&limit=1", 200)
    call("GET", "/contacts?segmentId=x", 400)
    call("POST", f"/contacts/{table}", 201, json={"contactKey": "c-doc", "first_name": "Doc"})
    call("POST", f"/contacts/{table}", 409, json={"contactKey": "c-doc"})
    call("POST", f"/contacts/{table}", 400, json={"first_name": "No key"})
    call("POST", "/contacts/no-such-table", 404, json={"contactKey": "c-doc"})
    call("GET", f"/contacts/{table}/c-doc", 200)
    call("GET", f"/contacts/{table}/c-nobody", 404)
    call("PATCH", f"/contacts/{table}/c-doc", 200, json={"city": "Izmir"})
    call("PATCH", f"/contacts/{table}/c-doc", 400, json={"contactKey": "c-other"})
    call("PATCH", f"/contacts/{table}/c-nobody", 404, json={"city": "Izmir"})
    call("DELETE", f"/contacts/{table}/c-doc", 200)
    call("DELETE", f"/contacts/{table}/c-doc", 404)
    outcome_rules = [
        {"match": {"platform": "ios"}, "outcome": "throttled", "trigger": {"times": 1}}
    ]
    call("PUT", "/device-outcomes", 200, json=outcome_rules)
    call("PUT", "/device-outcomes", 400, json=[{"outcome": "lost"}])
    call("GET", "/device-outcomes", 200)
    call("DELETE", "/device-outcomes", 200)
    call("DELETE", "/requests", 200)
    call("DELETE", "/sends", 200)
    call("POST", "/reset", 200)
    call("POST", "/reset", 200, json={"keepTokens": True})
    call("POST", "/reset", 400, json={"keepTokens": "yes"})
    every = {f"{method} {path}" for path, method, _ in operations(document)}
    assert every - seen == set(), "add a call for these operations"


def test_the_admin_guard_answers_as_documented(tmp_path: Any) -> None:
    settings = Settings(db=tmp_path / "e.db", admin_token="documented-admin")
    with TestClient(create_app(settings)) as guarded:
        admin = {"Authorization": "Bearer documented-admin"}
        document = guarded.get(f"{CONTROL_PREFIX}/openapi.json", headers=admin).json()
        check_answer(document, guarded.get(f"{CONTROL_PREFIX}/sends"))
        cross_site = {**admin, "Origin": "http://evil.example"}
        refused = guarded.post(f"{CONTROL_PREFIX}/reset", headers=cross_site)
        assert refused.status_code == 403
        check_answer(document, refused)
