"""POST /rest/transactional/push: the checks in order, the 200-with-a-code refusals, the
audience of one contact or token, $Current rendering, traceId idempotency, and the record."""

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from emulator.storage.tables import COMPLETED, TRANSACTIONAL
from tests.support.app import edit_fixture, runtime_of
from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, inline_send, payload
from tests.support.stored import journal, stored_sends

PUSH = "/rest/transactional/push"
BOOKING = "e1f2a3b4-c5d6-4e7f-8a9b-0c1d2e3f4a5b"
SIGN_IN_CODE = "f2a3b4c5-d6e7-4f8a-9b0c-1d2e3f4a5b6c"


def push(client: TestClient, name: str, **headers: str) -> httpx2.Response:
    """POST a payload file from tests/payloads/transactional/."""
    return client.post(
        PUSH,
        content=payload(f"transactional/{name}"),
        headers={**DEMO, "Content-Type": "application/json", **headers},
    )


def push_json(client: TestClient, body: dict[str, Any], **headers: str) -> httpx2.Response:
    return client.post(PUSH, json=body, headers={**DEMO, **headers})


def delivered(client: TestClient, transaction_id: str) -> dict[str, Any]:
    """The send's detail once the dispatcher has fanned it out."""
    assert runtime_of(client).dispatcher.wait_idle(30)
    found: dict[str, Any] = client.get(f"/_emulator/sends/{transaction_id}").json()
    assert found["status"] == COMPLETED
    return found


# The route and its checks, in the send's order ----------------------------------------


def test_an_accepted_push_answers_code_0_with_a_transaction_id(client: TestClient) -> None:
    response = push(client, "contact_send_to_all.json")
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["message"]) == (0, "Successful")
    assert len(body["transactionId"]) == 36
    assert len(body["data"]["trackingIds"]) == 2  # one per device reached
    [stored] = stored_sends(client)
    assert stored.kind == TRANSACTIONAL
    assert stored.transaction_id == body["transactionId"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-a-token"}],
)
def test_no_or_a_bad_token_is_its_own_401(client: TestClient, headers: dict[str, str]) -> None:
    response = client.post(
        PUSH, content=payload("transactional/contact_send_to_all.json"), headers=headers
    )
    assert response.status_code == 401
    assert response.json()["message"] == (
        "Not authenticated. The request lacks valid authentication credentials."
    )
    assert stored_sends(client) == []


def test_a_user_without_the_transactional_permission_is_its_own_403(client: TestClient) -> None:
    response = push(client, "contact_send_to_all.json", Authorization="Bearer readonly-token")
    assert response.status_code == 403
    assert "TransactionalPush.Manage permission" in response.json()["message"]
    # The push permission alone does not open it either.
    runtime = runtime_of(client)
    data = runtime.fixtures.to_json()
    data["api_users"][0]["permissions"] = ["push"]
    assert client.put("/_emulator/fixtures", json=data).status_code == 200
    assert push(client, "contact_send_to_all.json").status_code == 403
    assert (
        client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code == 200
    )


def test_the_allowlist_refuses_before_the_token(tmp_path: Path, fixtures_dir: Path) -> None:
    users = json.loads((fixtures_dir / "api_users.json").read_text())
    users[0]["allowedIps"] = ["10.0.0.0/8"]
    edit_fixture(fixtures_dir, "api_users", users)
    with TestClient(create_app(Settings(db=tmp_path / "e.db", fixtures=fixtures_dir))) as client:
        response = push(client, "contact_send_to_all.json")
        assert response.status_code == 403
        assert "is not whitelisted" in response.json()["actionResult"]


def limited(tmp_path: Path, fixtures_dir: Path, **limits: Any) -> TestClient:
    users = json.loads((fixtures_dir / "api_users.json").read_text())
    users[0].update(limits)
    edit_fixture(fixtures_dir, "api_users", users)
    return TestClient(create_app(Settings(db=tmp_path / "e.db", fixtures=fixtures_dir)))


def test_both_kinds_of_push_share_the_users_bucket(tmp_path: Path, fixtures_dir: Path) -> None:
    bucket = {"rateLimit": {"capacity": 2, "refillPerSecond": 0}}
    with limited(tmp_path, fixtures_dir, **bucket) as client:
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            == 200
        )
        assert push(client, "contact_send_to_all.json").status_code == 200
        refused = push(client, "contact_send_to_all.json")
        assert refused.status_code == 429
        assert refused.json()["message"] == "The concurrent request limit has been exceeded."
        assert refused.headers["Retry-After"] == "3600"
        assert len(stored_sends(client)) == 2  # a 429 means nothing was sent


def test_a_transactional_bucket_of_its_own(tmp_path: Path, fixtures_dir: Path) -> None:
    limits = {
        "rateLimit": {"capacity": 1, "refillPerSecond": 0},
        "transactionalRateLimit": {"capacity": 2, "refillPerSecond": 0},
    }
    with limited(tmp_path, fixtures_dir, **limits) as client:
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            == 200
        )
        assert (
            client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO).status_code
            == 429
        )
        assert push(client, "contact_send_to_all.json").status_code == 200
        assert push(client, "contact_send_to_all.json").status_code == 200
        assert push(client, "contact_send_to_all.json").status_code == 429
        limits_now = client.get("/_emulator/rate-limits").json()["users"]
        assert limits_now["demo-user:transactional"] == {"capacity": 2, "refillPerSecond": 0}


# Body rules: a 400 naming the field and the rule --------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("content_id_missing.json", "contentId: is required"),
        ("content_id_not_a_guid.json", "contentId: must be a GUID (8-4-4-4-12 hexadecimal digits)"),
        (
            "content_id_nested_under_content.json",
            "contentId: is required at the top level, not under content",
        ),
        ("neither_contact_key_nor_token.json", "Either contactKey or token must be provided"),
        ("token_with_send_to_all.json", "token and sendToAll cannot be used at the same time"),
        ("token_without_app_id.json", "appId: is required with token"),
        ("current_not_an_object.json", "current: must be an object"),
        ("tags_not_strings.json", "tags[1]: must be a string"),
        ("custom_parameters_without_key.json", "customParameters[0].key: is required"),
        ("send_to_all_not_a_boolean.json", "sendToAll: must be a boolean"),
    ],
)
def test_each_broken_rule_is_a_400_naming_field_and_rule(
    client: TestClient, name: str, message: str
) -> None:
    response = push(client, name)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == 400
    assert message in body["errors"]
    assert stored_sends(client) == []


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]"])
def test_a_body_that_is_no_json_object_is_a_400(client: TestClient, body: bytes) -> None:
    response = client.post(PUSH, content=body, headers={**DEMO, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["message"].startswith("body:")


def test_unknown_keys_are_warned_and_inline_content_is_named(client: TestClient) -> None:
    response = push(client, "unknown_keys_and_inline_title.json")
    assert response.json()["code"] == 0
    [stored] = stored_sends(client)
    assert any(
        w.startswith("title: SendTransactionalPush takes no inline content")
        for w in stored.warnings
    )
    assert any(w.startswith("priority: unknown field") for w in stored.warnings)


def test_strict_mode_turns_the_warnings_into_400s(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"strict": True}))) as client:
        response = push(client, "unknown_keys_and_inline_title.json")
        assert response.status_code == 400
        assert response.json()["message"].startswith("strict mode: title:")
        assert stored_sends(client) == []


# Content and audience refusals: HTTP 200 with code 11 ---------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("unknown_content.json", "00000000-0000-4000-8000-000000000000 content is null"),
        # An instant template is not a transactional content.
        (
            "instant_template_as_content.json",
            "7a1e5c3b-2d4f-4a6b-8c9d-0e1f2a3b4c5d content is null",
        ),
        ("unknown_contact.json", "Token not found with given ContactKey"),
        ("contact_without_device_in_app_id.json", "Token not found with given ContactKey"),
    ],
)
def test_refusals_are_200s_with_code_11_and_store_nothing(
    client: TestClient, name: str, message: str
) -> None:
    response = push(client, name)
    assert response.status_code == 200
    body = response.json()
    assert (body["code"], body["message"], body["data"]) == (11, message, None)
    assert len(body["transactionId"]) == 36
    assert stored_sends(client) == []
    [row] = journal(client)
    assert (row.status, row.error) == (200, f"code 11: {message}")


def test_a_contact_whose_devices_are_all_unregistered_is_refused(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    devices = json.loads((fixtures_dir / "devices.json").read_text())
    for device in devices:
        if device.get("contactKey") == "c-010":
            device["status"] = "unregistered"
    edit_fixture(fixtures_dir, "devices", devices)
    with TestClient(create_app(Settings(db=tmp_path / "e.db", fixtures=fixtures_dir))) as client:
        body = push_json(client, {"contentId": BOOKING, "contactKey": "c-010"}).json()
        assert (body["code"], body["message"]) == (11, "Token not found with given ContactKey")


def test_an_instant_send_does_not_find_a_transactional_content(client: TestClient) -> None:
    response = client.post(
        "/rest/push/sendInstant", json={"content": {"templateId": BOOKING}}, headers=DEMO
    )
    assert response.status_code == 404


# Audience -------------------------------------------------------------------------------


def tokens(detail: dict[str, Any]) -> list[str]:
    return [d["token"] for d in detail["deliveries"]]


def test_send_to_all_reaches_every_active_device_of_the_contact(client: TestClient) -> None:
    answer = push(client, "contact_send_to_all.json").json()
    assert sorted(tokens(delivered(client, answer["transactionId"]))) == [
        "fcm-ada-pixel8",
        "web-ada-chrome",
    ]


def test_without_send_to_all_one_device_is_reached(client: TestClient) -> None:
    answer = push(client, "contact_one_device.json").json()
    # c-002's devices in fixture order: fcm-mehmet-galaxy, apns-mehmet-iphone; the last
    # listed stands for the most recently registered.
    assert tokens(delivered(client, answer["transactionId"])) == ["apns-mehmet-iphone"]
    assert len(answer["data"]["trackingIds"]) == 1


def test_unregistered_devices_are_not_active(client: TestClient) -> None:
    # c-010 has an unregistered Android device and an active web one.
    answer = push_json(client, {"contentId": BOOKING, "contactKey": "c-010", "sendToAll": True})
    detail = delivered(client, answer.json()["transactionId"])
    assert tokens(detail) == ["web-elif-edge"]


def test_app_id_narrows_a_contact_send_to_that_application(client: TestClient) -> None:
    answer = push(client, "contact_narrowed_by_app_id.json").json()
    detail = delivered(client, answer["transactionId"])
    assert tokens(detail) == ["apns-mehmet-iphone"]
    assert detail["applicationIds"] == [IOS_APP]


def test_a_token_and_app_id_reach_exactly_that_device(client: TestClient) -> None:
    answer = push(client, "token_and_app_id.json").json()
    detail = delivered(client, answer["transactionId"])
    [delivery] = detail["deliveries"]
    assert (delivery["token"], delivery["status"], delivery["contactKey"]) == (
        "apns-mehmet-iphone",
        "Delivered",
        "c-002",
    )
    assert delivery["title"] == "Booking B-9 confirmed"


def test_an_unknown_token_is_accepted_and_reaches_nobody(client: TestClient) -> None:
    response = push(client, "unknown_token.json")
    assert response.json()["code"] == 0  # accepted blind, as the live service does
    [delivery] = delivered(client, response.json()["transactionId"])["deliveries"]
    assert (delivery["token"], delivery["status"], delivery["reason"]) == (
        "fcm-never-registered",
        "Failed",
        "UnknownToken",
    )
    assert delivery["applicationId"] == ANDROID_APP


# Rendering -------------------------------------------------------------------------------


def test_current_values_render_and_current_wins_over_custom_parameters(client: TestClient) -> None:
    answer = push(client, "current_wins_over_custom_parameters.json").json()
    detail = delivered(client, answer["transactionId"])
    [delivery] = detail["deliveries"]
    assert delivery["title"] == "Booking from-current confirmed"
    assert delivery["message"].startswith("See you on Sunday, ")
    assert detail["current"] == {"bookingId": "from-current", "date": "Sunday"}


def test_a_missing_key_renders_empty_and_an_expression_prints_its_source(
    client: TestClient,
) -> None:
    # No date (a plain tag) and no name (an `||` expression).
    answer = push_json(
        client, {"contentId": BOOKING, "contactKey": "c-003", "current": {"bookingId": "B-1"}}
    ).json()
    detail = delivered(client, answer["transactionId"])
    [delivery] = detail["deliveries"]
    assert delivery["message"] == "See you on , {%= $Current.name || 'traveller' %}!"
    assert (
        "content.message: $Current.date is in neither current nor customParameters; "
        "it rendered empty" in detail["warnings"]
    )
    assert (
        "content.message: $Current.name is in neither current nor customParameters; the "
        "expression printed its own source" in detail["warnings"]
    )


def test_contact_tags_render_empty_on_a_transactional_send(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    templates = json.loads((fixtures_dir / "templates.json").read_text())
    templates.append(
        {
            "id": "aaaaaaaa-0000-4000-8000-000000000001",
            "name": "uses $Contact",
            "transactional": True,
            "content": {
                "title": "Hi {%= $Contact.first_name %}",
                "message": "{% if ($Contact.city) { %}In {%= $Contact.city %}{% } %}, code "
                "{%= $Current.code %}",
            },
        }
    )
    edit_fixture(fixtures_dir, "templates", templates)
    with TestClient(create_app(Settings(db=tmp_path / "e.db", fixtures=fixtures_dir))) as client:
        body = {
            "contentId": "aaaaaaaa-0000-4000-8000-000000000001",
            "contactKey": "c-003",
            "current": {"code": "77"},
        }
        answer = push_json(client, body).json()
        detail = delivered(client, answer["transactionId"])
    [delivery] = detail["deliveries"]
    assert delivery["title"] == "Hi "
    # c-003 has a city in the contact table, but $Contact is empty here: the `if` prints
    # its own source, as the live service does.
    assert (
        delivery["message"] == "{% if ($Contact.city) { %}In {%= $Contact.city %}{% } %}, code 77"
    )
    assert any(
        w.startswith("content.title: $Contact.first_name: $Contact is empty on transactional sends")
        for w in detail["warnings"]
    )


def test_the_language_override_then_the_devices_then_the_default(client: TestClient) -> None:
    answer = push(client, "language_override.json").json()
    detail = delivered(client, answer["transactionId"])
    assert {(d["language"], d["title"]) for d in detail["deliveries"]} == {("DE", "Ihr Code: 4821")}
    # Without the override each device gets its own language (c-002 speaks TR).
    body = {"contentId": SIGN_IN_CODE, "contactKey": "c-002", "current": {"code": "1"}}
    detail = delivered(client, push_json(client, body).json()["transactionId"])
    assert [d["language"] for d in detail["deliveries"]] == ["TR"]
    # And a contact whose language has no entry gets the default (c-009 speaks FR).
    body = {"contentId": SIGN_IN_CODE, "contactKey": "c-009", "current": {"code": "2"}}
    detail = delivered(client, push_json(client, body).json()["transactionId"])
    assert [(d["language"], d["title"]) for d in detail["deliveries"]] == [("EN", "Your code is 2")]


# Idempotency ------------------------------------------------------------------------------


def test_a_repeated_trace_id_gets_the_first_answer_and_stores_nothing(client: TestClient) -> None:
    first = push(client, "contact_send_to_all.json").json()
    again = push(client, "contact_send_to_all.json").json()
    assert again == first
    assert len(stored_sends(client)) == 1
    rows = journal(client)
    assert [r.repeat_of for r in rows] == [None, first["transactionId"]]
    listed = client.get("/_emulator/requests").json()["items"]
    assert listed[0]["repeatOf"] == first["transactionId"]


def test_the_trace_id_is_per_api_user_and_forgotten_after_its_ttl(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    users = json.loads((fixtures_dir / "api_users.json").read_text())
    users.append(
        {
            "userkey": "other-user",
            "password": "other-password",
            "permissions": ["transactionalPush"],
            "tokens": ["other-token"],
        }
    )
    edit_fixture(fixtures_dir, "api_users", users)
    settings = Settings(db=tmp_path / "e.db", fixtures=fixtures_dir, trace_ttl=3600)
    with TestClient(create_app(settings)) as client:
        first = push(client, "contact_send_to_all.json").json()
        other = push(client, "contact_send_to_all.json", Authorization="Bearer other-token").json()
        assert other["transactionId"] != first["transactionId"]
        client.post("/_emulator/clock/advance", json={"seconds": 3601})
        later = push(client, "contact_send_to_all.json").json()
        assert later["transactionId"] != first["transactionId"]
        assert len(stored_sends(client)) == 3


def test_a_refused_call_is_not_remembered_for_its_trace_id(client: TestClient) -> None:
    body = {"contentId": BOOKING, "contactKey": "c-unknown", "traceId": "t-1"}
    assert push_json(client, body).json()["code"] == 11
    body["contactKey"] = "c-001"
    assert push_json(client, body).json()["code"] == 0
    assert len(stored_sends(client)) == 1


# Recorded like every send ---------------------------------------------------------------


def test_the_stored_send_keeps_the_request_the_answer_and_its_own_fields(
    client: TestClient,
) -> None:
    sent = payload("transactional/contact_send_to_all.json")
    answer = push(client, "contact_send_to_all.json").json()
    detail = delivered(client, answer["transactionId"])
    assert detail["kind"] == "transactional"
    assert detail["request"] == json.loads(sent)
    assert detail["response"] == answer
    assert (detail["contactKey"], detail["traceId"], detail["tags"]) == (
        "c-001",
        "booking-B-42",
        ["booking", "confirmation"],
    )
    assert detail["inboxParams"]["expire"]["period"] == 7
    assert detail["fallbackChannel"] == {"type": "SMS"}
    assert detail["templateIds"] == [BOOKING]
    assert [t["trackingId"] for t in detail["targets"]] == answer["data"]["trackingIds"]
    assert {d["title"] for d in detail["deliveries"]} == {"Booking B-42 confirmed"}
    assert {d["message"] for d in detail["deliveries"]} == {"See you on Friday, Ada!"}
    assert detail["warnings"] == []
    [row] = stored_sends(client)
    assert row.request_body == sent.decode()  # verbatim


def test_the_new_filters_find_transactional_sends(client: TestClient) -> None:
    client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    push(client, "contact_send_to_all.json")
    push(client, "token_and_app_id.json")

    def found(**params: str) -> list[str]:
        items = client.get("/_emulator/sends", params=params).json()["items"]
        return [i["kind"] for i in items]

    assert found(kind="transactional") == ["transactional", "transactional"]
    assert found(kind="INSTANT") == ["instant"]
    assert found(tag="booking") == ["transactional"]
    assert found(traceId="booking-B-42") == ["transactional"]
    assert found(tag="nope") == []
    # The contact is known at acceptance, before any delivery exists.
    runtime_of(client).dispatcher.stop()
    # (c-006 has no Android device, so the instant send above did not reach it.)
    push_json(client, {"contentId": BOOKING, "contactKey": "c-006"})
    assert found(contactKey="c-006") == ["transactional"]
    bad = client.get("/_emulator/sends", params={"kind": "campaign"})
    assert bad.status_code == 400
    assert bad.json()["message"] == "kind: must be one of instant, transactional, got 'campaign'"


def test_a_wait_and_the_export_see_transactional_sends(client: TestClient) -> None:
    answer = push(client, "contact_send_to_all.json").json()
    waited = client.get(
        "/_emulator/sends/wait", params={"kind": "transactional", "traceId": "booking-B-42"}
    )
    assert waited.status_code == 200
    assert waited.json()["items"][0]["transactionId"] == answer["transactionId"]
    lines = client.get("/_emulator/export", params={"kind": "transactional"}).text.splitlines()
    [exported] = [json.loads(line) for line in lines]
    assert exported["kind"] == "transactional"
    assert len(exported["deliveries"]) == 2


def test_the_delivery_report_is_instant_only(client: TestClient) -> None:
    answer = push(client, "contact_send_to_all.json").json()
    delivered(client, answer["transactionId"])
    tracking = answer["data"]["trackingIds"][0]
    report = client.get(
        "/rest/push/sendInstant",
        params={"trackingId": tracking, "applicationId": ANDROID_APP},
        headers=DEMO,
    )
    assert report.status_code == 404


def test_a_fault_rule_matches_the_path_and_answers_a_refusal_code(client: TestClient) -> None:
    rules = [
        {"match": {"path": PUSH}, "action": {"type": "code", "code": 11}, "trigger": {"times": 1}}
    ]
    assert client.put("/_emulator/faults", json=rules).status_code == 200
    faulted = push(client, "contact_send_to_all.json")
    assert faulted.status_code == 200
    body = faulted.json()
    assert (body["code"], body["message"], body["data"]) == (
        11,
        "Token not found with given ContactKey",
        None,
    )
    assert stored_sends(client) == []
    # The rule was for the next one only; the instant send was never matched.
    assert push(client, "contact_send_to_all.json").json()["code"] == 0
    [row] = [r for r in journal(client) if r.fault]
    assert "refusal code 11" in (row.fault or "")


def test_a_fault_code_other_than_11_needs_its_message(client: TestClient) -> None:
    rules = [{"action": {"type": "code", "code": 12}}]
    response = client.put("/_emulator/faults", json=rules)
    assert response.status_code == 400
    assert response.json()["errors"] == ["[0].action.message: is required for a code other than 11"]


def test_the_inbox_shows_the_kind_and_the_current_values(client: TestClient) -> None:
    answer = push_json(
        client,
        {"contentId": BOOKING, "contactKey": "c-001", "current": {"bookingId": "<b>x</b>"}},
    ).json()
    delivered(client, answer["transactionId"])
    inbox = client.get("/").text
    assert "kind-transactional" in inbox
    assert "Contact c-001 (one device)" in inbox
    page = client.get(f"/_emulator/ui/sends/{answer['transactionId']}").text
    assert "Rendered with $Current" in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    assert "<b>x</b>" not in page
    assert "/rest/transactional/push" in page  # "Copy as curl" sends it to the same route


# As a user would: a real server, a login, concurrent repeats ----------------------------


@pytest.mark.process
def test_a_real_server_takes_a_login_then_pushes_by_contact_and_by_token(tmp_path: Path) -> None:
    from tests.support.server import serving

    with serving(tmp_path) as url, httpx2.Client(base_url=url, timeout=30) as http:
        login = http.post("/rest/login", json={"userkey": "demo-user", "password": "demo-password"})
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        by_contact = http.post(
            PUSH, content=payload("transactional/contact_send_to_all.json"), headers=auth
        ).json()
        by_token = http.post(
            PUSH, content=payload("transactional/token_and_app_id.json"), headers=auth
        ).json()
        assert by_contact["code"] == by_token["code"] == 0
        waited = http.get(
            "/_emulator/sends/wait",
            params={"kind": "transactional", "count": 2, "timeout": 20},
        ).json()
        assert {s["transactionId"] for s in waited["items"]} == {
            by_contact["transactionId"],
            by_token["transactionId"],
        }
        detail = http.get(f"/_emulator/sends/{by_token['transactionId']}").json()
        assert [d["token"] for d in detail["deliveries"]] == ["apns-mehmet-iphone"]


def test_concurrent_repeats_of_a_trace_id_store_one_send() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from emulator.testing import run_emulator

    body = payload("transactional/contact_send_to_all.json")
    with run_emulator() as emulator, httpx2.Client(timeout=30) as http:

        def send(_: int) -> dict[str, Any]:
            answer: dict[str, Any] = http.post(
                emulator.base_url + "/transactional/push", content=body, headers=DEMO
            ).json()
            return answer

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(16)))
        assert len({a["transactionId"] for a in answers}) == 1
        assert all(a["code"] == 0 for a in answers)
        sends = emulator.client.sends(kind="transactional")
        assert len(sends) == 1
        repeats = [r for r in emulator.client.requests() if r["repeatOf"]]
        assert len(repeats) == 15
