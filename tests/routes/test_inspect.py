"""GET/DELETE /_emulator/sends: every filter, keyset paging, detail, export, read-your-writes."""

from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from emulator.bodies import MAX_JSON_DEPTH
from emulator.storage.tables import COMPLETED, QUEUED, SCHEDULED, sends
from tests.support.app import runtime_of
from tests.support.demo import (
    ANDROID_APP,
    IOS_APP,
    MASTER_TABLE,
    SALE_TEMPLATE,
    TURKISH_SEGMENT,
    VIP_SEGMENT,
    WELCOME_TEMPLATE,
)
from tests.support.inspecting import (
    add_delivery,
    hold_dispatcher,
    post_send,
    send_id_of,
    set_status,
)


@pytest.fixture(autouse=True)
def _held(client: TestClient) -> None:
    hold_dispatcher(client)


def listed(client: TestClient, **params: Any) -> list[str]:
    """Transaction ids the sends list gives for these filters, newest first."""
    response = client.get("/_emulator/sends", params=params)
    assert response.status_code == 200, response.text
    return [item["transactionId"] for item in response.json()["items"]]


def test_a_send_that_got_a_200_is_listed_at_once_with_its_fields(client: TestClient) -> None:
    answer = post_send(client, trackingId="0b7d4c2e-1111-4222-8333-444455556666", foo=1)
    [item] = client.get("/_emulator/sends").json()["items"]
    assert item["trackingId"] == "0b7d4c2e-1111-4222-8333-444455556666"
    assert item["transactionId"] == answer["transactionId"]
    assert item["status"] == QUEUED
    assert item["apiUser"] == "demo-user"
    assert item["request"]["foo"] == 1  # the body as received, unknown fields and all
    assert item["warnings"] == [
        "foo: unknown field, recorded; the real service would probably ignore it"
    ]
    assert item["deliveryCount"] == 0
    assert item["receivedAt"].endswith("Z")


def test_sends_come_newest_first(client: TestClient) -> None:
    first = post_send(client)["transactionId"]
    second = post_send(client)["transactionId"]
    assert listed(client) == [second, first]


@pytest.mark.parametrize(
    ("params", "matches"),
    [
        ({"applicationId": IOS_APP.upper()}, "ios"),
        ({"segmentId": TURKISH_SEGMENT}, "segment"),
        ({"tableId": MASTER_TABLE}, "table"),
        ({"templateId": WELCOME_TEMPLATE}, "template"),
        ({"templateId": SALE_TEMPLATE}, None),
        ({"segmentId": VIP_SEGMENT}, None),
    ],
)
def test_the_send_filters_on_stored_columns(
    client: TestClient, params: dict[str, str], matches: str | None
) -> None:
    ids = {
        "plain": post_send(client)["transactionId"],
        "ios": post_send(client, applicationIds=[IOS_APP])["transactionId"],
        "segment": post_send(client, segmentId=TURKISH_SEGMENT)["transactionId"],
        "table": post_send(client, tableId=MASTER_TABLE)["transactionId"],
        "template": post_send(client, content={"templateId": WELCOME_TEMPLATE})["transactionId"],
    }
    assert listed(client, **params) == ([ids[matches]] if matches else [])


def test_the_tracking_id_filter_ignores_case(client: TestClient) -> None:
    tracking = "0b7d4c2e-1111-4222-8333-444455556666"
    mine = post_send(client, trackingId=tracking)["transactionId"]
    post_send(client)
    assert listed(client, trackingId=tracking.upper()) == [mine]


def test_the_status_filter_takes_any_case_and_refuses_unknown_statuses(
    client: TestClient,
) -> None:
    queued = post_send(client)["transactionId"]
    later = post_send(client, scheduleDate="2099-01-01 10:00")["transactionId"]
    done = post_send(client)["transactionId"]
    set_status(client, send_id_of(client, done), COMPLETED)
    assert listed(client, status="queued") == [queued]
    assert listed(client, status=SCHEDULED) == [later]
    assert listed(client, status=COMPLETED) == [done]
    refused = client.get("/_emulator/sends", params={"status": "Sent"})
    assert refused.status_code == 400
    assert refused.json()["message"].startswith("status: must be one of Queued")


def test_the_api_user_filter(client: TestClient) -> None:
    runtime = runtime_of(client)
    data = runtime.fixtures.to_json()
    data["api_users"].append(
        {"userkey": "other-user", "password": "pw", "permissions": ["push"], "tokens": ["other"]}
    )
    assert client.put("/_emulator/fixtures", json=data).status_code == 200
    mine = post_send(client)["transactionId"]
    theirs = client.post(
        "/rest/push/sendInstant",
        json={"applicationIds": [ANDROID_APP], "content": {"title": "x"}},
        headers={"Authorization": "Bearer other"},
    ).json()["transactionId"]
    assert listed(client, apiUser="demo-user") == [mine]
    assert listed(client, apiUser="other-user") == [theirs]


def test_contact_key_and_token_filters_join_the_deliveries(client: TestClient) -> None:
    ada = post_send(client)["transactionId"]
    mehmet = post_send(client)["transactionId"]
    add_delivery(client, send_id_of(client, ada), "fcm-ada-pixel8", contact_key="c-001")
    add_delivery(client, send_id_of(client, mehmet), "fcm-mehmet-galaxy", contact_key="c-002")
    add_delivery(client, send_id_of(client, mehmet), "fcm-ayse-redmi", contact_key="c-003")
    assert listed(client, contactKey="c-001") == [ada]
    assert listed(client, contactKey="c-003") == [mehmet]
    assert listed(client, token="fcm-mehmet-galaxy") == [mehmet]
    assert listed(client, token="fcm-nobody") == []
    # A send with two matching deliveries is still listed once.
    assert listed(client, applicationId=ANDROID_APP, token="fcm-ayse-redmi") == [mehmet]


def test_q_finds_text_in_titles_and_messages_of_any_language_or_delivery(
    client: TestClient,
) -> None:
    inline = post_send(client, content={"title": "Flash Sale", "message": "50% off"})[
        "transactionId"
    ]
    multi = post_send(
        client,
        content=None,
        multiLangContent={
            "defaultLanguage": "EN",
            "contents": [
                {"language": "EN", "title": "Hello", "message": "Hi there"},
                {"language": "TR", "title": "Merhaba", "message": "Selam dünya"},
            ],
        },
    )["transactionId"]
    templated = post_send(client, content={"templateId": WELCOME_TEMPLATE})["transactionId"]
    rendered = post_send(client, content={"title": "{%= $Contact.first_name %}"})["transactionId"]
    add_delivery(client, send_id_of(client, rendered), "fcm-ada-pixel8", title="Ada")
    assert listed(client, q="flash sale") == [inline]  # case does not matter
    assert listed(client, q="50%") == [inline]  # % and _ are text, not wildcards
    assert listed(client, q="5_%") == []
    assert listed(client, q="dünya") == [multi]
    assert listed(client, q="Ada") == [rendered]  # what a device was shown
    welcome = runtime_of(client).fixtures.templates_by_id[WELCOME_TEMPLATE].content
    assert welcome is not None
    assert welcome.title
    assert templated in listed(client, q=welcome.title)  # template text was copied in


def test_since_and_until_follow_the_emulator_clock(client: TestClient) -> None:
    clock = runtime_of(client).clock
    start = clock.now()
    clock.freeze(start)
    old = post_send(client)["transactionId"]
    clock.advance(3600)
    new = post_send(client)["transactionId"]
    middle = (start + timedelta(minutes=30)).isoformat()
    assert listed(client, since=middle) == [new]
    assert listed(client, until=middle) == [old]
    # A zone-less time is UTC; "Z" is understood.
    naive = (start + timedelta(minutes=30)).replace(tzinfo=None).isoformat()
    assert listed(client, since=naive) == [new]
    assert listed(client, since=middle.replace("+00:00", "Z")) == [new]
    refused = client.get("/_emulator/sends", params={"since": "yesterday"})
    assert refused.status_code == 400
    assert "since: must be an ISO 8601 date-time" in refused.json()["message"]


def test_cursor_paging_walks_every_send_once_newest_first(client: TestClient) -> None:
    made = [post_send(client)["transactionId"] for _ in range(7)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/_emulator/sends", params=params).json()
        seen += [item["transactionId"] for item in page["items"]]
        pages += 1
        cursor = page["nextCursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    assert pages == 3  # 3 + 3 + 1, and the last page offers no empty next one


def test_a_page_stays_stable_while_new_sends_arrive(client: TestClient) -> None:
    made = [post_send(client)["transactionId"] for _ in range(4)]
    first = client.get("/_emulator/sends", params={"limit": 2}).json()
    post_send(client)  # newer than the cursor: not on the next page
    second = client.get("/_emulator/sends", params={"limit": 2, "cursor": first["nextCursor"]})
    assert [i["transactionId"] for i in second.json()["items"]] == [made[1], made[0]]


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"cursor": "x"}, "cursor")],
)
def test_bad_paging_parameters_are_400s_naming_the_field(
    client: TestClient, params: dict[str, Any], field: str
) -> None:
    response = client.get("/_emulator/sends", params=params)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


def test_the_detail_has_deliveries_and_lists_other_sends_with_the_tracking_id(
    client: TestClient,
) -> None:
    tracking = "0b7d4c2e-1111-4222-8333-444455556666"
    older = post_send(client, trackingId=tracking)["transactionId"]
    newer = post_send(client, trackingId=tracking)["transactionId"]
    delivery = add_delivery(
        client,
        send_id_of(client, newer),
        "fcm-ada-pixel8",
        contact_key="c-001",
        language="EN",
        title="Hi",
        message="Hello",
        target_url="https://example.com",
    )
    detail = client.get(f"/_emulator/sends/{tracking}").json()
    assert detail["transactionId"] == newer
    assert detail["deliveryCount"] == 1
    [shown] = detail["deliveries"]
    assert shown["id"] == delivery
    assert {k: shown[k] for k in ("token", "applicationId", "platform", "contactKey")} == {
        "token": "fcm-ada-pixel8",
        "applicationId": ANDROID_APP,
        "platform": "android",
        "contactKey": "c-001",
    }
    assert (shown["language"], shown["title"], shown["message"]) == ("EN", "Hi", "Hello")
    assert (shown["targetUrl"], shown["mediaUrl"], shown["reason"]) == (
        "https://example.com",
        None,
        None,
    )
    assert shown["status"] == "Delivered"
    assert [o["transactionId"] for o in detail["others"]] == [older]
    # Each of the others is reachable by its transaction id.
    assert client.get(f"/_emulator/sends/{older}").json()["transactionId"] == older


def test_an_unknown_send_is_a_404_in_the_envelope(client: TestClient) -> None:
    response = client.get("/_emulator/sends/0b7d4c2e-1111-4222-8333-444455556666")
    assert response.status_code == 404
    assert response.json()["code"] == 404


def test_delete_clears_sends_and_deliveries_but_not_the_journal(client: TestClient) -> None:
    answer = post_send(client)
    add_delivery(client, send_id_of(client, answer["transactionId"]), "fcm-ada-pixel8")
    assert client.delete("/_emulator/sends").json() == {"deleted": 1}
    assert client.get("/_emulator/sends").json() == {"items": [], "nextCursor": None}
    assert client.get(f"/_emulator/sends/{answer['transactionId']}").status_code == 404
    assert len(client.get("/_emulator/requests").json()["items"]) == 1


def test_export_streams_every_matching_send_with_deliveries_oldest_first(
    client: TestClient,
) -> None:
    made = [post_send(client)["transactionId"] for _ in range(3)]
    add_delivery(client, send_id_of(client, made[0]), "fcm-ada-pixel8")
    response = client.get("/_emulator/export")
    assert response.headers["content-type"] == "application/x-ndjson"
    lines = [orjson.loads(line) for line in response.text.splitlines()]
    assert [line["transactionId"] for line in lines] == made
    assert [len(line["deliveries"]) for line in lines] == [1, 0, 0]
    only = client.get("/_emulator/export", params={"token": "fcm-ada-pixel8"}).text
    assert [orjson.loads(line)["transactionId"] for line in only.splitlines()] == [made[0]]


def test_export_pages_through_more_sends_than_one_read(client: TestClient) -> None:
    from emulator.storage.sends import SendFilters, export_sends

    made = [post_send(client)["transactionId"] for _ in range(5)]
    add_delivery(client, send_id_of(client, made[1]), "fcm-ada-pixel8")
    add_delivery(client, send_id_of(client, made[3]), "fcm-ada-pixel8")
    add_delivery(client, send_id_of(client, made[3]), "fcm-mehmet-galaxy")
    chunks = list(export_sends(runtime_of(client).engine, SendFilters(), page_size=2))
    assert len(chunks) == 3
    lines = [orjson.loads(line) for line in b"".join(chunks).splitlines()]
    assert [line["transactionId"] for line in lines] == made
    assert [[d["token"] for d in line["deliveries"]] for line in lines] == [
        [],
        ["fcm-ada-pixel8"],
        [],
        ["fcm-ada-pixel8", "fcm-mehmet-galaxy"],
        [],
    ]


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/_emulator/sends", {"cursor": "9" * 30}, "cursor"),
        ("/_emulator/sends", {"since": "9999-12-31T23:59:59-23:59"}, "since"),
        ("/_emulator/sends", {"until": "0001-01-01T00:00:00+23:59"}, "until"),
        ("/_emulator/sends", {"limit": "9" * 30}, "limit"),
        ("/_emulator/sends/wait", {"timeout": "nan"}, "timeout"),
        ("/_emulator/sends/wait", {"count": "9" * 30}, "count"),
        ("/_emulator/requests", {"cursor": "-1"}, "cursor"),
        # str.isdigit() says yes to these; int() does not.
        ("/_emulator/sends", {"cursor": "²"}, "cursor"),
        ("/_emulator/requests", {"cursor": "١٢"}, "cursor"),
        ("/_emulator/requests", {"status": "²"}, "status"),
        ("/_emulator/export", {"since": "9999-12-31T23:59:59-23:59"}, "since"),
    ],
)
def test_out_of_range_parameters_are_400s_never_500s(
    client: TestClient, path: str, params: dict[str, str], field: str
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == 400
    assert response.json()["message"].startswith(f"{field}:")


@pytest.mark.parametrize("delivery_id", ["9" * 30, "-1", "x"])
def test_bad_delivery_ids_are_400s(client: TestClient, delivery_id: str) -> None:
    response = client.post(f"/_emulator/deliveries/{delivery_id}/open")
    assert response.status_code == 400
    assert response.json()["message"].startswith("delivery_id:")


def test_q_refuses_nul_which_sqlite_would_read_as_the_end_of_the_pattern(
    client: TestClient,
) -> None:
    post_send(client)
    response = client.get("/_emulator/sends", params={"q": "x\x00"})
    assert response.status_code == 400
    assert response.json()["message"] == "q: must not contain the NUL character"
    assert listed(client, q="%_\\") == []


def test_a_send_nested_to_the_depth_limit_is_shown_by_every_reader(client: TestClient) -> None:
    params: object = "leaf"
    for _ in range(MAX_JSON_DEPTH - 3):  # the body, content and customParams are 3 levels
        params = {"level": params}
    sent = post_send(client, content={"title": "Deep", "customParams": params})
    key = sent["data"]["trackingId"]
    assert client.get("/_emulator/sends").json()["items"][0]["trackingId"] == key
    assert client.get(f"/_emulator/sends/{key}").json()["request"]["content"]["customParams"]
    assert orjson.loads(client.get("/_emulator/export").content)["trackingId"] == key
    assert client.get(f"/_emulator/ui/sends/{key}").status_code == 200
    assert client.get("/_emulator/ui/").status_code == 200


def test_extreme_stored_times_read_back_everywhere(client: TestClient) -> None:
    """Rows stored before the range checks (or by hand) must not make a reader answer 500."""
    sent = post_send(client)
    send_id = send_id_of(client, sent["transactionId"])
    runtime = runtime_of(client)
    runtime.writer.run_sync(
        lambda c: c.execute(
            update(sends)
            .where(sends.c.id == send_id)
            .values(
                schedule_at=datetime(1, 1, 1, tzinfo=UTC),
                completed_at=datetime(9999, 12, 31, tzinfo=UTC),
            )
        )
    )
    item = client.get("/_emulator/sends").json()["items"][0]
    assert (item["scheduleAt"], item["completedAt"]) == (
        "0001-01-01T00:00:00Z",
        "9999-12-31T00:00:00Z",
    )
    assert client.get(f"/_emulator/ui/sends/{sent['transactionId']}").status_code == 200
    assert client.get("/_emulator/ui/").status_code == 200
    # What no reader can parse (a year written as "1" by an older version, a hand edit) reads
    # as no time at all.
    runtime.writer.run_sync(
        lambda c: c.exec_driver_sql(
            "UPDATE send SET updated_at = '1-01-01 00:00:00.000000', schedule_at = 'soon'"
        )
    )
    item = client.get("/_emulator/sends").json()["items"][0]
    assert (item["updatedAt"], item["scheduleAt"]) == (None, None)
    assert client.get(f"/_emulator/sends/{sent['transactionId']}").status_code == 200
    assert client.get(f"/_emulator/ui/sends/{sent['transactionId']}").status_code == 200
    assert client.get("/_emulator/export").status_code == 200


# Unknown query parameters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "typo", "meant"),
    [
        ("GET", "/_emulator/sends", "trackingid", "trackingId"),
        ("GET", "/_emulator/sends", "limt", "limit"),
        ("GET", "/_emulator/sends/wait", "contact_key", "contactKey"),
        ("GET", "/_emulator/sends/wait", "timout", "timeout"),
        ("GET", "/_emulator/export", "aplicationId", "applicationId"),
        ("GET", "/_emulator/requests", "stauts", "status"),
        ("GET", "/_emulator/requests", "curser", "cursor"),
    ],
)
def test_a_misspelt_filter_is_a_400_naming_it_and_the_known_ones(
    client: TestClient, method: str, path: str, typo: str, meant: str
) -> None:
    post_send(client)  # a send every filter-less list would match
    response = client.request(method, path, params={typo: "x"})  # refused before any wait
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == 400
    [problem] = body["errors"]
    assert problem.startswith(f"unknown filter {typo!r}; did you mean {meant!r}? Known: ")
    assert meant in problem.split("Known: ")[1].split(", ")


def test_the_issues_own_example_reads_as_it_says(client: TestClient) -> None:
    response = client.get("/_emulator/sends/wait", params={"trackingid": "abc"})
    assert response.json()["message"].startswith(
        "unknown filter 'trackingid'; did you mean 'trackingId'?"
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/_emulator/sends"),
        ("DELETE", "/_emulator/requests"),
        ("GET", "/_emulator/sends/0b7d4c2e-1111-4222-8333-444455556666"),
    ],
)
def test_routes_scoped_only_by_api_user_refuse_any_other_filter(
    client: TestClient, method: str, path: str
) -> None:
    post_send(client, trackingId="0b7d4c2e-1111-4222-8333-444455556666")
    response = client.request(method, path, params={"trackingId": "0b7d4c2e"})
    assert response.status_code == 400
    assert response.json()["errors"] == ["unknown filter 'trackingId'; Known: apiUser"]
    assert len(listed(client)) == 1  # a DELETE with a filter did not clear everything


def test_a_name_far_from_any_gets_no_guess_but_the_list(client: TestClient) -> None:
    [problem] = client.get("/_emulator/sends", params={"zzz": "1"}).json()["errors"]
    assert problem.startswith("unknown filter 'zzz'; Known: kind, trackingId, applicationId")
