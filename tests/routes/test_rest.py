"""POST /rest/push/sendInstant: the success envelope, every 400 rule, 404 templates, storage."""

import uuid

import httpx2
import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.settings import Settings
from emulator.storage.tables import COMPLETED, QUEUED, SCHEDULED, SENDING
from tests.support.demo import (
    ANDROID_APP,
    DEMO,
    IOS_APP,
    SALE_TEMPLATE,
    WEB_APP,
    WELCOME_TEMPLATE,
    inline_send,
    payload,
)
from tests.support.stored import stored_sends


def post_send(client: TestClient, body: bytes, **headers: str) -> httpx2.Response:
    return client.post(
        "/rest/push/sendInstant",
        content=body,
        headers={**DEMO, "Content-Type": "application/json", **headers},
    )


def test_an_inline_send_answers_the_success_envelope_and_is_stored(client: TestClient) -> None:
    response = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
    assert response.status_code == 200
    body = response.json()
    assert body["code"] == 0
    assert body["message"] == "Successful"
    tracking_id = body["data"]["trackingId"]
    assert uuid.UUID(tracking_id).version == 4
    assert uuid.UUID(body["transactionId"]).version == 4
    [send] = stored_sends(client)
    assert send.tracking_id == tracking_id
    assert send.transaction_id == body["transactionId"]
    assert send.status in {QUEUED, SENDING, COMPLETED}  # the dispatcher may have moved it on
    assert send.api_user == "demo-user"
    assert send.client_ip == "testclient"
    assert send.application_ids == [ANDROID_APP]
    assert send.content == {"content": {"title": "Hi", "message": "Hello"}}
    assert send.response_body == body
    assert send.warnings == []


def test_the_request_body_is_stored_verbatim(client: TestClient) -> None:
    raw = (
        b'{ "applicationIds": ["3F1C2A9E-7B4D-4E21-9A0B-5D6E7F809A1B"],\n'
        b' "content": {"title": "Hi"} }'
    )
    assert post_send(client, raw).status_code == 200
    [send] = stored_sends(client)
    assert send.request_body == raw.decode()
    assert send.application_ids == [ANDROID_APP]  # ids are compared case-insensitively


def test_a_given_tracking_id_is_echoed_and_each_send_gets_a_new_transaction_id(
    client: TestClient,
) -> None:
    tracking_id = "0b7d4c2e-1111-4222-8333-444455556666"
    first = client.post(
        "/rest/push/sendInstant", json=inline_send(trackingId=tracking_id), headers=DEMO
    )
    second = client.post(
        "/rest/push/sendInstant", json=inline_send(trackingId=tracking_id), headers=DEMO
    )
    assert first.json()["data"]["trackingId"] == tracking_id
    assert second.json()["data"]["trackingId"] == tracking_id
    assert first.json()["transactionId"] != second.json()["transactionId"]
    assert len(stored_sends(client)) == 2


RULES = [
    (
        "content_and_multilangcontent_together.json",
        "content and multiLangContent cannot be used at the same time",
    ),
    (
        "neither_content_nor_multilangcontent.json",
        "content is required unless multiLangContent is given",
    ),
    ("templateid_beside_inline_fields.json", "content: templateId must be given alone"),
    (
        "segmentid_and_tableid_together.json",
        "segmentId and tableId cannot be used at the same time",
    ),
    ("application_id_not_a_guid.json", "applicationIds[0]: must be a GUID"),
    ("tracking_id_not_a_uuid.json", "trackingId: must be a GUID"),
    ("segment_id_not_a_guid.json", "segmentId: must be a GUID"),
    (
        "schedule_date_in_an_unknown_format.json",
        "scheduleDate: must be a UTC date in one of the formats",
    ),
    ("schedule_date_not_a_real_day.json", "scheduleDate: must be a real UTC date and time"),
    (
        "default_language_without_entry.json",
        "multiLangContent: defaultLanguage 'DE' has no entry in contents",
    ),
    ("languages_repeat.json", "multiLangContent: contents: language 'en' appears more than once"),
    ("multilangcontent_without_contents.json", "multiLangContent.contents: must not be empty"),
    ("application_ids_not_an_array.json", "applicationIds: must be an array"),
    ("use_only_engaged_tokens_not_a_boolean.json", "useOnlyEngagedTokens: must be a boolean"),
    ("title_not_a_string.json", "content.title: must be a string"),
    ("content_not_an_object.json", "content: must be an object"),
    (
        "content_without_title_or_message.json",
        "content: must carry a templateId, or inline content",
    ),
    ("body_not_an_object.json", "body: must be a JSON object"),
    ("body_not_json.txt", "body: must be valid JSON"),
    ("tracking_id_with_a_trailing_newline.json", "trackingId: must be a GUID"),
    ("application_id_with_a_trailing_newline.json", "applicationIds[0]: must be a GUID"),
    (
        "schedule_date_with_a_trailing_newline.json",
        "scheduleDate: must be a UTC date in one of the formats",
    ),
    (
        "schedule_date_with_non_ascii_digits.json",
        "scheduleDate: must be a UTC date in one of the formats",
    ),
    (
        "schedule_date_in_year_one.json",
        "scheduleDate: must be between 1970-01-01T00:00:00Z and 9999-01-01T00:00:00Z",
    ),
    (
        "custom_params_nested_past_the_depth_limit.json",
        "content.customParams" + ".level" * 30 + ": nests deeper than 32 levels",
    ),
    (
        "title_if_blocks_nested_past_the_limit.json",
        "content.title: {% if %} blocks nest deeper than 16 levels",
    ),
    (
        "language_entry_if_blocks_nested_past_the_limit.json",
        "multiLangContent.contents[1].message: {% if %} blocks nest deeper than 16 levels",
    ),
]


@pytest.mark.parametrize(("name", "message"), RULES, ids=[r[0].split(".")[0] for r in RULES])
def test_each_broken_rule_is_a_400_naming_field_and_rule(
    client: TestClient, name: str, message: str
) -> None:
    response = post_send(client, payload(name))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    assert message in body["message"]
    assert any(message in line for line in body["errors"])
    assert stored_sends(client) == []


def test_all_problems_of_a_body_are_named_together(client: TestClient) -> None:
    response = client.post(
        "/rest/push/sendInstant",
        json={"applicationIds": ["nope"], "content": {"title": 1}, "trackingId": "x"},
        headers=DEMO,
    )
    errors = response.json()["errors"]
    assert {e.split(":")[0] for e in errors} == {"applicationIds[0]", "content.title", "trackingId"}


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"null",
        b"\xff\xfe{}",
        b"[" * 5000 + b"]" * 5000,
        b'{"content": {"title": "\xed\xa0\x80"}}',
        b'{"applicationIds": [' + b'"x",' * 200_000 + b'"x"]}',
        b'{"a":1e999999}',
        b"\x00",
    ],
    ids=[
        "empty",
        "null",
        "invalid-utf8",
        "deep-nesting",
        "surrogate",
        "huge-array",
        "huge-number",
        "nul",
    ],
)
def test_hostile_bodies_get_a_400_never_a_500(client: TestClient, body: bytes) -> None:
    response = post_send(client, body)
    assert response.status_code == 400
    assert response.json()["code"] == 400
    assert stored_sends(client) == []


def test_a_non_json_content_type_is_refused(client: TestClient) -> None:
    response = client.post(
        "/rest/push/sendInstant",
        content=b'{"content": {"title": "Hi"}}',
        headers={**DEMO, "Content-Type": "text/plain"},
    )
    assert response.status_code == 400
    assert response.json()["message"].startswith("Content-Type: must be application/json")


def test_unknown_routes_under_rest_answer_in_the_envelope(client: TestClient) -> None:
    response = client.post("/rest/push/sendLater", json={}, headers=DEMO)
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "No such route: POST /rest/push/sendLater"}


def test_unknown_template_is_a_404_with_the_vendors_message(client: TestClient) -> None:
    response = post_send(client, payload("unknown_template.json"))
    assert response.status_code == 404
    assert response.json() == {"code": 404, "message": "The template id you have set not found."}
    assert stored_sends(client) == []


def test_unknown_template_in_a_language_entry_is_a_404(client: TestClient) -> None:
    response = post_send(client, payload("unknown_template_in_a_language_entry.json"))
    assert response.status_code == 404


def test_a_400_wins_over_a_404(client: TestClient) -> None:
    response = client.post(
        "/rest/push/sendInstant",
        json={"content": {"templateId": "00000000-0000-0000-0000-000000000000"}, "tableId": "x"},
        headers=DEMO,
    )
    assert response.status_code == 400


def test_a_template_is_copied_into_the_send(client: TestClient) -> None:
    assert post_send(client, payload("template_content.json")).status_code == 200
    [send] = stored_sends(client)
    assert send.template_ids == [WELCOME_TEMPLATE]
    assert send.content["content"]["targetUrl"] == "https://shop.example.com/basket"
    assert "first_name" in send.content["content"]["title"]


def test_a_multi_language_template_keeps_its_languages(client: TestClient) -> None:
    response = client.post(
        "/rest/push/sendInstant",
        json={"content": {"templateId": SALE_TEMPLATE}, "applicationIds": [IOS_APP]},
        headers=DEMO,
    )
    assert response.status_code == 200
    [send] = stored_sends(client)
    languages = [c["language"] for c in send.content["multiLangContent"]["contents"]]
    assert languages == ["EN", "TR", "DE"]


def test_inline_multi_language_content_is_stored(client: TestClient) -> None:
    assert post_send(client, payload("multilang_inline.json")).status_code == 200
    [send] = stored_sends(client)
    assert send.content["multiLangContent"]["defaultLanguage"] == "EN"
    assert len(send.content["multiLangContent"]["contents"]) == 2


def test_sdk_fields_are_accepted_and_recorded_without_warnings(client: TestClient) -> None:
    assert post_send(client, payload("sdk_fields.json")).status_code == 200
    [send] = stored_sends(client)
    assert send.content["content"]["badgeCount"] == 3
    assert send.content["content"]["customParams"] == {"orderId": "42"}
    assert send.warnings == []


def test_unknown_keys_are_accepted_with_a_warning_each(client: TestClient) -> None:
    assert post_send(client, payload("unknown_keys_everywhere.json")).status_code == 200
    [send] = stored_sends(client)
    assert [w.split(":")[0] for w in send.warnings] == ["priority", "content.colour"]
    assert send.content["content"]["colour"] == "red"  # recorded, not dropped


def test_the_likely_typo_of_use_only_engaged_tokens_is_named(client: TestClient) -> None:
    assert post_send(client, payload("onlylastengagedtokens_typo.json")).status_code == 200
    [send] = stored_sends(client)
    assert len(send.warnings) == 1
    assert "did you mean useOnlyEngagedTokens" in send.warnings[0]
    assert send.use_only_engaged is False


def test_missing_application_ids_target_every_application_with_a_warning(
    client: TestClient,
) -> None:
    response = client.post(
        "/rest/push/sendInstant", json={"content": {"title": "Hi"}}, headers=DEMO
    )
    assert response.status_code == 200
    [send] = stored_sends(client)
    assert sorted(send.application_ids) == sorted([ANDROID_APP, IOS_APP, WEB_APP])
    assert send.all_applications
    assert send.warnings[0].startswith("applicationIds: missing or empty")


def test_unknown_audience_ids_are_warnings(client: TestClient) -> None:
    response = client.post(
        "/rest/push/sendInstant",
        json=inline_send(segmentId="00000000-0000-0000-0000-00000000abcd"),
        headers=DEMO,
    )
    assert response.status_code == 200
    assert stored_sends(client)[0].warnings == [
        "segmentId: no segment '00000000-0000-0000-0000-00000000abcd'; it adds no devices"
    ]


def test_a_future_schedule_is_stored_as_scheduled(client: TestClient) -> None:
    response = client.post(
        "/rest/push/sendInstant", json=inline_send(scheduleDate="2999-01-01 09:00"), headers=DEMO
    )
    assert response.status_code == 200
    [send] = stored_sends(client)
    assert send.status == SCHEDULED
    assert send.schedule_at is not None
    assert send.schedule_at.isoformat() == "2999-01-01T09:00:00+00:00"


def test_a_null_schedule_means_now(client: TestClient) -> None:
    client.post("/rest/push/sendInstant", json=inline_send(scheduleDate=None), headers=DEMO)
    [send] = stored_sends(client)
    assert send.schedule_at is None


def test_strict_mode_turns_warnings_into_400s(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"strict": True}))) as client:
        response = post_send(client, payload("onlylastengagedtokens_typo.json"))
        assert response.status_code == 400
        assert "strict mode: onlyLastEngagedTokens" in response.json()["message"]
        assert stored_sends(client) == []
        ok = client.post("/rest/push/sendInstant", json=inline_send(), headers=DEMO)
        assert ok.status_code == 200
