"""/_emulator/openapi-rest.json: every emulated route, and every answer as documented."""

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from emulator import CONTROL_PREFIX, REST_PREFIX
from emulator.routes import rest
from tests.support.app import edit_fixture
from tests.support.demo import ANDROID_APP, DEMO, inline_send, payload
from tests.support.openapi import check_answer, operations

CONTRACT = Path(__file__).resolve().parent.parent.parent / "docs" / "CONTRACT.md"


def _served(client: TestClient) -> dict[str, Any]:
    answer = client.get(f"{CONTROL_PREFIX}/openapi-rest.json")
    assert answer.status_code == 200
    document: dict[str, Any] = answer.json()
    return document


def test_every_emulated_route_is_documented_and_nothing_else(client: TestClient) -> None:
    document = _served(client)
    served = {
        f"{method} {route.path.removeprefix(REST_PREFIX)}"
        for route in rest.routes(REST_PREFIX)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {f"{method} {path}" for path, method, _ in operations(document)}
    assert documented == served
    assert document["servers"][0]["url"] == REST_PREFIX


def test_the_document_follows_the_contract_s_messages(client: TestClient) -> None:
    # The statuses and texts that docs/CONTRACT.md marks as the vendor's own.
    text = json.dumps(_served(client))
    contract = CONTRACT.read_text()
    for message in (
        "Not authenticated. Please re-login.",
        "The operation is not allowed. Your api user is not authorized to use this api.",
        "The template id you have set not found.",
        "TooManyRequest",
    ):
        assert message in contract
        assert message in text


def test_every_answer_of_a_session_matches_the_document(
    client: TestClient, fixtures_dir: Path
) -> None:
    document = _served(client)
    seen: set[str] = set()

    def call(method: str, path: str, status: int, **kwargs: Any) -> Any:
        answer = client.request(method, REST_PREFIX + path, **kwargs)
        assert answer.status_code == status, (method, path, answer.text)
        seen.add(check_answer(document, answer, prefix=REST_PREFIX))
        return answer

    login = {"userkey": "demo-user", "password": "demo-password"}
    call("POST", "/login", 200, json=login)
    call("POST", "/login", 401, json={**login, "password": "wrong"})
    call("POST", "/login", 400, json={"userkey": 1})
    call("POST", "/login", 413, content=b" " * (2 * 1024 * 1024))
    sent = call("POST", "/push/sendInstant", 200, json=inline_send(), headers=DEMO).json()
    call(
        "POST",
        "/push/sendInstant",
        400,
        content=payload("application_id_not_a_guid.json"),
        headers=DEMO,
    )
    call("POST", "/push/sendInstant", 401, json=inline_send())
    readonly = {"Authorization": "Bearer readonly-token"}
    call("POST", "/push/sendInstant", 403, json=inline_send(), headers=readonly)
    call("POST", "/push/sendInstant", 404, content=payload("unknown_template.json"), headers=DEMO)
    booking = {"contentId": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "contactKey": "c-001"}
    pushed = call("POST", "/transactional/push", 200, json=booking, headers=DEMO).json()
    assert pushed["code"] == 0
    nobody = call(
        "POST", "/transactional/push", 200, json={**booking, "contactKey": "x"}, headers=DEMO
    )
    assert nobody.json()["code"] == 11
    call("POST", "/transactional/push", 400, json={"contentId": booking["contentId"]}, headers=DEMO)
    call("POST", "/transactional/push", 401, json=booking)
    call("POST", "/transactional/push", 403, json=booking, headers=readonly)
    tracking_id = sent["data"]["trackingId"]
    waited = client.get(f"{CONTROL_PREFIX}/sends/wait", params={"trackingId": tracking_id})
    assert waited.status_code == 200
    report = f"/push/sendInstant?trackingId={tracking_id}&applicationId={ANDROID_APP}"
    call("GET", report, 200, headers=DEMO)
    call("GET", "/push/sendInstant?trackingId=x", 400, headers=DEMO)
    unknown = report.replace(tracking_id, "00000000-0000-4000-8000-000000000000")
    call("GET", unknown, 404, headers=DEMO)
    limits = {"users": {"demo-user": {"capacity": 1, "refillPerSecond": 0}}}
    assert client.put(f"{CONTROL_PREFIX}/rate-limits", json=limits).status_code == 200
    call("GET", report, 200, headers=DEMO)
    limited = call("GET", report, 429, headers=DEMO)
    assert limited.headers["Retry-After"]
    call("POST", "/transactional/push", 429, json=booking, headers=DEMO)
    # The allowlist refusal, with its actionResult.
    users = json.loads((fixtures_dir / "api_users.json").read_text())
    for user in users:
        user["allowedIps"] = ["10.9.9.9"]
    edit_fixture(fixtures_dir, "api_users", users)
    assert client.post(f"{CONTROL_PREFIX}/reset").status_code == 200
    assert "actionResult" in call("POST", "/login", 403, json=login).json()
    call("POST", "/push/sendInstant", 403, json=inline_send(), headers=DEMO)
    call("POST", "/transactional/push", 403, json=booking, headers=DEMO)
    every = {f"{method} {path}" for path, method, _ in operations(document)}
    assert every - seen == set(), "add a call for these operations"
