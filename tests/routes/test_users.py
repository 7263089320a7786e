"""/_emulator/api-users and everything scoped by apiUser: one shared emulator, many tests."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emulator.storage.tables import COMPLETED
from tests.support.app import runtime_of
from tests.support.demo import DEMO, inline_send


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/_emulator/api-users", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['tokens'][0]}"}


def send_as(client: TestClient, user: dict[str, Any], **extra: Any) -> dict[str, Any]:
    response = client.post("/rest/push/sendInstant", json=inline_send(**extra), headers=auth(user))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_a_created_user_gets_what_was_left_out_generated_and_can_send(client: TestClient) -> None:
    user = create(client)
    assert user["userkey"].startswith("user-")
    assert len(user["password"]) >= 16
    assert user["permissions"] == ["push", "transactionalPush"]
    [token] = user["tokens"]
    send_as(client, user)
    login = client.post(
        "/rest/login", json={"userkey": user["userkey"], "password": user["password"]}
    )
    assert login.status_code == 200
    [stored] = client.get("/_emulator/sends").json()["items"]
    assert stored["apiUser"] == user["userkey"]
    listed = {u["userkey"]: u for u in client.get("/_emulator/api-users").json()["items"]}
    assert listed[user["userkey"]]["source"] == "runtime"
    assert listed["demo-user"]["source"] == "fixtures"
    shown = json.dumps(listed)
    assert user["password"] not in shown
    assert "demo-password" not in shown
    assert token not in shown  # tokens are masked too


def test_given_fields_are_kept_and_checked(client: TestClient) -> None:
    user = create(
        client,
        userkey="suite-a",
        password="pw",
        permissions=["push"],
        tokens=["suite-a-token"],
        rateLimit={"capacity": 1, "refillPerSecond": 0},
    )
    assert (user["userkey"], user["tokens"]) == ("suite-a", ["suite-a-token"])
    send_as(client, user)
    limited = client.post("/rest/push/sendInstant", json=inline_send(), headers=auth(user))
    assert limited.status_code == 429  # its own bucket
    refused = client.post(
        "/rest/transactional/push",
        json={"contentId": "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b", "contactKey": "c-001"},
        headers=auth(user),
    )
    assert refused.status_code == 403  # only the permissions asked for


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"userkey": "demo-user"}, 409, "userkey: 'demo-user' already exists"),
        ({"tokens": ["demo-token"]}, 409, "tokens: a token of this user is already another user's"),
        (
            {"permissions": ["pushh"]},
            400,
            "permissions: 'pushh' is not one of push, transactionalPush",
        ),
        ({"userkey": "has space"}, 400, "userkey: "),
        ({"allowedIps": ["nowhere"]}, 400, "allowedIps[0]: must be an IP address or CIDR network"),
        ({"colour": "red"}, 400, "colour: is not a known field"),
    ],
)
def test_bad_or_clashing_users_are_refused_by_name(
    client: TestClient, body: dict[str, Any], status: int, message: str
) -> None:
    response = client.post("/_emulator/api-users", json=body)
    assert response.status_code == status
    assert response.json()["message"].startswith(message)
    assert [u["source"] for u in client.get("/_emulator/api-users").json()["items"]] == [
        "fixtures",
        "fixtures",
    ]


def test_deleting_a_user_takes_its_tokens_and_purge_its_rows(client: TestClient) -> None:
    mine, theirs = create(client), create(client)
    send_as(client, mine)
    send_as(client, theirs)
    login = client.post(
        "/rest/login", json={"userkey": mine["userkey"], "password": mine["password"]}
    ).json()
    issued = {"Authorization": f"Bearer {login['access_token']}"}
    gone = client.delete(f"/_emulator/api-users/{mine['userkey']}", params={"purge": "true"})
    assert gone.json() == {"deleted": mine["userkey"], "purged": {"sends": 1, "requests": 2}}
    for headers in (auth(mine), issued):
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=headers).status_code
            == 401
        )
    items = client.get("/_emulator/sends").json()["items"]
    assert [s["apiUser"] for s in items] == [theirs["userkey"]]  # nothing of another's went
    # Its journal rows went too (the two 401s after it name no user: the token is unknown).
    mine_left = client.get("/_emulator/requests", params={"apiUser": mine["userkey"]}).json()
    assert mine_left["items"] == []
    # Without purge the rows stay.
    client.delete(f"/_emulator/api-users/{theirs['userkey']}")
    assert len(client.get("/_emulator/sends").json()["items"]) == 1


def test_fixture_users_cannot_be_deleted_and_unknown_ones_are_404(client: TestClient) -> None:
    refused = client.delete("/_emulator/api-users/demo-user")
    assert refused.status_code == 409
    assert "comes from the fixtures" in refused.json()["message"]
    assert client.delete("/_emulator/api-users/nobody").status_code == 404
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code == 200
    )


def test_a_reset_removes_run_time_users(client: TestClient) -> None:
    user = create(client)
    client.post("/_emulator/reset")
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=auth(user)).status_code
        == 401
    )
    assert len(client.get("/_emulator/api-users").json()["items"]) == 2


def test_every_read_and_clear_can_be_scoped_to_one_user(client: TestClient) -> None:
    mine, theirs = create(client), create(client)
    my_send = send_as(client, mine, trackingId="11111111-1111-4111-8111-111111111111")
    send_as(client, theirs, trackingId="11111111-1111-4111-8111-111111111111")
    scope = {"apiUser": mine["userkey"]}
    assert runtime_of(client).dispatcher.wait_idle(30)
    # Detail: the same tracking id, but only this user's send.
    detail = client.get("/_emulator/sends/11111111-1111-4111-8111-111111111111", params=scope)
    assert detail.json()["transactionId"] == my_send["transactionId"]
    missing = client.get(
        f"/_emulator/sends/{my_send['transactionId']}", params={"apiUser": theirs["userkey"]}
    )
    assert missing.status_code == 404
    # Lists, waits and the export.
    assert [s["apiUser"] for s in client.get("/_emulator/sends", params=scope).json()["items"]] == [
        mine["userkey"]
    ]
    waited = client.get("/_emulator/sends/wait", params={**scope, "count": 1, "timeout": 5})
    assert [s["status"] for s in waited.json()["items"]] == [COMPLETED]
    exported = client.get("/_emulator/export", params=scope).text.splitlines()
    assert [json.loads(line)["apiUser"] for line in exported] == [mine["userkey"]]
    requests = client.get("/_emulator/requests", params=scope).json()["items"]
    assert {r["apiUser"] for r in requests} == {mine["userkey"]}
    # Clears: only this user's rows go.
    assert client.delete("/_emulator/sends", params=scope).json() == {"deleted": 1}
    assert client.delete("/_emulator/requests", params=scope).json() == {"deleted": 1}
    left = client.get("/_emulator/sends").json()["items"]
    assert [s["apiUser"] for s in left] == [theirs["userkey"]]
    assert {r["apiUser"] for r in client.get("/_emulator/requests").json()["items"]} == {
        theirs["userkey"]
    }


def test_the_event_stream_can_be_scoped_to_one_user(client: TestClient) -> None:
    mine, theirs = create(client), create(client)
    runtime_of(client).dispatcher.stop()  # only the sends' own events, no status changes
    with client.stream("GET", "/_emulator/events", params={"apiUser": mine["userkey"]}) as response:
        lines = response.iter_lines()
        assert next(lines) == ": connected"
        send_as(client, theirs)
        send_as(client, mine)
        client.post("/_emulator/reset")
        seen: list[tuple[str, Any]] = []
        kind = ""
        for line in lines:
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: "):
                seen.append((kind, json.loads(line.removeprefix("data: "))))
                if kind == "reset":
                    break
    users = [data.get("apiUser") for kind, data in seen if kind != "reset"]
    assert set(users) == {mine["userkey"]}  # theirs never shows
    assert [kind for kind, _ in seen][-1] == "reset"  # everyone's events still come


def test_purging_a_user_uses_the_indexes_not_a_scan(client: TestClient) -> None:
    engine = runtime_of(client).engine
    plans = {}
    with engine.connect() as connection:
        for table, statement in {
            "send": "DELETE FROM send WHERE api_user = 'x'",
            "journal": "DELETE FROM journal WHERE api_user = 'x'",
            "delivery": "DELETE FROM delivery WHERE send_id IN "
            "(SELECT id FROM send WHERE api_user = 'x')",
        }.items():
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}").all()
            plans[table] = " ".join(str(row[-1]) for row in rows)
    # SEARCH through an index, never a SCAN of every row of another user's.
    for table, plan in plans.items():
        assert "SCAN" not in plan, (table, plan)
        assert f"SEARCH {table} USING" in plan, (table, plan)
