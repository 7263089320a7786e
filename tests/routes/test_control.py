"""Reset, fixtures, engagement, the journal routes, and the admin token on /_emulator."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.clock import Clock
from emulator.settings import Settings
from emulator.storage.dispatch import due_sends
from tests.support.app import edit_fixture, runtime_of
from tests.support.demo import ANDROID_APP, DEMO, inline_send
from tests.support.inspecting import add_delivery, hold_dispatcher, post_send, send_id_of

LOGIN = {"userkey": "demo-user", "password": "demo-password"}


@pytest.fixture(autouse=True)
def _held(client: TestClient) -> None:
    hold_dispatcher(client)


def test_reset_clears_data_and_run_time_state_and_reloads_fixtures(
    client: TestClient, fixtures_dir: Path
) -> None:
    runtime = runtime_of(client)
    token = client.post("/rest/login", json=LOGIN).json()["access_token"]
    answer = post_send(client)
    add_delivery(client, send_id_of(client, answer["transactionId"]), "fcm-ada-pixel8")
    runtime.clock.set_offset(3600)
    edit_fixture(fixtures_dir, "templates", [])  # the folder changed since start-up
    assert client.post("/_emulator/reset").json() == {"reset": True, "keptTokens": False}
    assert client.get("/_emulator/sends").json()["items"] == []
    assert client.get("/_emulator/requests").json()["items"] == []
    assert client.get(f"/_emulator/sends/{answer['transactionId']}").status_code == 404
    assert runtime.clock.mode == "real"
    assert runtime.fixtures.templates == []
    refused = client.post(
        "/rest/push/sendInstant", json=inline_send(), headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401  # issued tokens are forgotten


def test_reset_with_keep_tokens_keeps_issued_tokens_and_resets_the_rest(
    client: TestClient,
) -> None:
    runtime = runtime_of(client)
    token = client.post("/rest/login", json=LOGIN).json()["access_token"]
    post_send(client)
    runtime.clock.set_offset(60)
    answer = client.post("/_emulator/reset", json={"keepTokens": True})
    assert answer.json() == {"reset": True, "keptTokens": True}
    assert client.get("/_emulator/sends").json()["items"] == []
    assert runtime.clock.mode == "real"
    kept = client.post(
        "/rest/push/sendInstant", json=inline_send(), headers={"Authorization": f"Bearer {token}"}
    )
    assert kept.status_code == 200
    # Asked for explicitly, the default still forgets them.
    assert client.post("/_emulator/reset", json={"keepTokens": False}).json()["keptTokens"] is False
    forgotten = client.post(
        "/rest/push/sendInstant", json=inline_send(), headers={"Authorization": f"Bearer {token}"}
    )
    assert forgotten.status_code == 401


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"keeptokens": True}, "keeptokens: is not a known field"),
        ({"keepTokens": "yes"}, "keepTokens: must be a boolean"),
        ([], "must be an object"),
    ],
)
def test_an_unknown_or_bad_reset_option_is_a_400_and_nothing_is_reset(
    client: TestClient, body: Any, problem: str
) -> None:
    post_send(client)
    response = client.post("/_emulator/reset", json=body)
    assert response.status_code == 400
    assert problem in response.json()["message"]
    assert len(client.get("/_emulator/sends").json()["items"]) == 1


def test_reset_changes_nothing_when_the_fixture_folder_no_longer_loads(
    client: TestClient, fixtures_dir: Path
) -> None:
    post_send(client)
    (fixtures_dir / "devices.json").write_text("[{")
    response = client.post("/_emulator/reset")
    assert response.status_code == 400
    assert "devices.json: not valid JSON" in response.json()["message"]
    assert len(client.get("/_emulator/sends").json()["items"]) == 1


def test_get_fixtures_shows_what_is_loaded_in_the_fixture_format(client: TestClient) -> None:
    shown = client.get("/_emulator/fixtures").json()
    assert set(shown) == {"api_users", "applications", "templates", "tables", "segments", "devices"}
    assert any(app["id"] == ANDROID_APP for app in shown["applications"])
    # What GET gives, PUT takes back unchanged.
    assert client.put("/_emulator/fixtures", json=shown).json() == shown


def test_put_fixtures_replaces_them_and_reset_restores_the_folder(client: TestClient) -> None:
    data = client.get("/_emulator/fixtures").json()
    data["api_users"] = [
        {"userkey": "ci", "password": "pw", "permissions": ["push"], "tokens": ["ci-token"]}
    ]
    assert client.put("/_emulator/fixtures", json=data).status_code == 200
    ci = {"Authorization": "Bearer ci-token"}
    assert client.post("/rest/push/sendInstant", json=inline_send(), headers=ci).status_code == 200
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code == 401
    )
    client.post("/_emulator/reset")
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code == 200
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"devices": [{"token": "t", "applicationId": "not-a-guid"}]},
            "body/devices.json: record 0 (token 't'): applicationId",
        ),
        (
            {"api_users": [{"userkey": "x"}]},
            "body/api_users.json: record 0 (userkey 'x'): password",
        ),
        ({"gadgets": []}, "body: unknown fixture file(s) gadgets"),
        ([], "body: must be a JSON object of fixture files"),
    ],
)
def test_put_fixtures_is_all_or_nothing_with_a_400_naming_file_record_and_field(
    client: TestClient, body: Any, message: str
) -> None:
    before = client.get("/_emulator/fixtures").json()
    response = client.put("/_emulator/fixtures", json=body)
    assert response.status_code == 400
    assert message in response.json()["message"]
    assert client.get("/_emulator/fixtures").json() == before


def test_open_and_click_mark_the_delivery_and_engage_the_device(client: TestClient) -> None:
    runtime = runtime_of(client)
    clock = Clock()
    runtime.clock.freeze(clock.now())
    answer = post_send(client)
    send_id = send_id_of(client, answer["transactionId"])
    delivery = add_delivery(client, send_id, "fcm-ayse-redmi", contact_key="c-003")

    def device() -> Any:
        [found] = [d for d in runtime.fixtures.devices if d.token == "fcm-ayse-redmi"]
        return found

    assert device().engaged is False
    opened = client.post(f"/_emulator/deliveries/{delivery}/open").json()
    assert opened["openedAt"] is not None
    assert opened["clickedAt"] is None
    assert opened["deviceEngaged"] is True
    assert device().engaged is True
    runtime.clock.advance(60)
    clicked = client.post(f"/_emulator/deliveries/{delivery}/click").json()
    assert clicked["openedAt"] == opened["openedAt"]  # the first open is kept
    assert clicked["clickedAt"] > opened["openedAt"]
    [shown] = client.get(f"/_emulator/sends/{answer['transactionId']}").json()["deliveries"]
    assert shown["clickedAt"] == clicked["clickedAt"]
    # Engagement is run-time state: a reset reloads the fixture folder.
    client.post("/_emulator/reset")
    assert device().engaged is False


def test_a_click_alone_also_counts_as_an_open(client: TestClient) -> None:
    send_id = send_id_of(client, post_send(client)["transactionId"])
    delivery = add_delivery(client, send_id, "fcm-ada-pixel8")
    clicked = client.post(f"/_emulator/deliveries/{delivery}/click").json()
    assert clicked["openedAt"] == clicked["clickedAt"] is not None


def test_engaging_an_unknown_delivery_is_a_404(client: TestClient) -> None:
    response = client.post("/_emulator/deliveries/999/open")
    assert response.status_code == 404
    assert response.json()["message"] == "No delivery with id 999."


def test_the_journal_lists_every_rest_request_with_filters(client: TestClient) -> None:
    client.post("/rest/login", json=LOGIN)
    client.post("/rest/login", json={"userkey": "demo-user", "password": "wrong"})
    post_send(client)
    client.post("/rest/push/sendInstant", json=inline_send(), headers={"Authorization": "x"})

    def paths(**params: Any) -> list[tuple[str, int]]:
        items = client.get("/_emulator/requests", params=params).json()["items"]
        return [(item["path"], item["status"]) for item in items]

    login, send = "/rest/login", "/rest/push/sendInstant"
    assert paths() == [(send, 401), (send, 200), (login, 401), (login, 200)]
    assert paths(status=401) == [(send, 401), (login, 401)]
    assert paths(status="4xx") == [(send, 401), (login, 401)]
    assert paths(path=login) == [(login, 401), (login, 200)]
    assert paths(apiUser="demo-user", status=200) == [(send, 200), (login, 200)]
    assert paths(limit=1) == [(send, 401)]
    page = client.get("/_emulator/requests", params={"limit": 3}).json()
    rest = client.get("/_emulator/requests", params={"cursor": page["nextCursor"]}).json()
    assert [(i["path"], i["status"]) for i in rest["items"]] == [(login, 200)]
    assert client.get("/_emulator/requests", params={"status": "bad"}).status_code == 400


def test_the_journal_since_filter_and_delete(client: TestClient) -> None:
    clock = runtime_of(client).clock
    clock.freeze(Clock().now())
    client.post("/rest/login", json=LOGIN)
    clock.advance(60)
    middle = clock.now().isoformat()
    post_send(client)
    items = client.get("/_emulator/requests", params={"since": middle}).json()["items"]
    assert [i["path"] for i in items] == ["/rest/push/sendInstant"]
    assert client.delete("/_emulator/requests").json() == {"deleted": 2}
    assert client.get("/_emulator/requests").json()["items"] == []
    assert len(client.get("/_emulator/sends").json()["items"]) == 1  # sends stay


ADMIN_ROUTES = [
    ("GET", "/_emulator/sends"),
    ("DELETE", "/_emulator/sends"),
    ("GET", "/_emulator/sends/wait?status=Queued&timeout=0"),
    ("GET", "/_emulator/sends/x"),
    ("GET", "/_emulator/requests"),
    ("DELETE", "/_emulator/requests"),
    ("GET", "/_emulator/export"),
    ("GET", "/_emulator/events"),
    ("POST", "/_emulator/reset"),
    ("GET", "/_emulator/fixtures"),
    ("PUT", "/_emulator/fixtures"),
    ("POST", "/_emulator/deliveries/1/open"),
    ("POST", "/_emulator/deliveries/1/click"),
    ("GET", "/_emulator/webhooks"),
    ("PUT", "/_emulator/webhooks"),
    ("DELETE", "/_emulator/webhooks"),
    ("GET", "/_emulator/webhooks/deliveries"),
    ("DELETE", "/_emulator/webhooks/deliveries"),
    ("GET", "/_emulator/webhooks/deliveries/wait"),
    ("GET", "/_emulator/docs"),
    ("GET", "/_emulator/openapi.json"),
    ("GET", "/_emulator/openapi-rest.json"),
]


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Any:
    db = tmp_path_factory.mktemp("guarded") / "emulator.db"
    settings = Settings(db=db, admin_token="s3cret-admin")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer demo-token", "Bearer wrong", "s3cret"])
def test_with_an_admin_token_every_emulator_route_needs_it(
    guarded: TestClient, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = guarded.request(method, path, headers=headers)
    assert response.status_code == 401
    assert "admin token" in response.json()["message"]


def test_the_admin_token_opens_the_routes_and_rest_still_takes_api_tokens(
    guarded: TestClient,
) -> None:
    admin = {"Authorization": "Bearer s3cret-admin"}
    assert guarded.get("/_emulator/sends", headers=admin).status_code == 200
    assert (
        guarded.post("/rest/push/sendInstant", json=inline_send(), headers=admin).status_code == 401
    )
    assert (
        guarded.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code == 200
    )
    assert len(guarded.get("/_emulator/sends", headers=admin).json()["items"]) == 1
    schema = guarded.get("/_emulator/openapi.json", headers=admin).json()
    assert "/_emulator/sends/wait" in schema["paths"]
    assert "/_emulator/openapi.json" not in schema["paths"]
    assert "swagger" in guarded.get("/_emulator/docs", headers=admin).text.lower()


def test_dispatch_now_moves_a_scheduled_sends_schedule_to_now(client: TestClient) -> None:
    runtime = runtime_of(client)
    runtime.clock.freeze(datetime(2030, 1, 1, tzinfo=UTC))
    answer = post_send(client, scheduleDate="2030-06-01 09:00")
    moved = client.post(f"/_emulator/sends/{answer['data']['trackingId']}/dispatch")
    assert moved.status_code == 200, moved.text
    assert moved.json() == {
        "trackingId": answer["data"]["trackingId"],
        "transactionId": answer["transactionId"],
        "scheduledFor": "2030-06-01T09:00:00Z",
        "scheduleAt": "2030-01-01T00:00:00Z",
    }
    send = client.get(f"/_emulator/sends/{answer['transactionId']}").json()
    assert (send["status"], send["scheduleAt"]) == ("Scheduled", "2030-01-01T00:00:00Z")
    assert due_sends(runtime.engine, runtime.clock.now()) == [(send["id"], answer["transactionId"])]
    assert send["request"]["scheduleDate"] == "2030-06-01 09:00"  # the request as sent, kept


def test_dispatch_now_refuses_a_send_that_is_not_scheduled_and_an_unknown_one(
    client: TestClient,
) -> None:
    answer = post_send(client)
    refused = client.post(f"/_emulator/sends/{answer['transactionId']}/dispatch")
    assert refused.status_code == 409
    assert refused.json()["errors"] == [
        f"send {answer['transactionId']}: is Queued, not Scheduled; only a scheduled send "
        "can be dispatched now"
    ]
    missing = client.post("/_emulator/sends/no-such-send/dispatch")
    assert missing.status_code == 404
    assert missing.json()["message"] == "No send with tracking id or transaction id 'no-such-send'."


def test_read_marks_one_send_or_all_and_keep_the_first_read(client: TestClient) -> None:
    first, second = post_send(client), post_send(client)
    assert client.get(f"/_emulator/sends/{first['transactionId']}").json()["readAt"] is None
    assert client.post(f"/_emulator/sends/{first['transactionId']}/read").json() == {"marked": 1}
    read_at = client.get(f"/_emulator/sends/{first['transactionId']}").json()["readAt"]
    assert read_at is not None
    assert client.post(f"/_emulator/sends/{first['transactionId']}/read").json() == {"marked": 0}
    assert client.post("/_emulator/sends/read").json() == {"marked": 1}  # only the second
    assert client.get(f"/_emulator/sends/{first['transactionId']}").json()["readAt"] == read_at
    assert client.get(f"/_emulator/sends/{second['transactionId']}").json()["readAt"]
    assert client.post("/_emulator/sends/nope/read").status_code == 404
