"""The web inbox's pages and fragments, in process: content, escaping, headers and the token."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.push.fixtures import ApiUser, FixtureSet
from emulator.settings import Settings
from emulator.ui.curl import curl_command
from tests.support.app import runtime_of
from tests.support.demo import ANDROID_APP, DEMO, IOS_APP, WELCOME_TEMPLATE, inline_send

XSS = "<img src=x onerror=alert(1)>"


def post_send(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/rest/push/sendInstant", json=inline_send(**body), headers=DEMO)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def dispatched(client: TestClient) -> None:
    assert runtime_of(client).dispatcher.wait_idle(10)


@pytest.mark.parametrize(
    "path", ["/", "/_emulator/ui/", "/_emulator/ui/requests", "/_emulator/ui/webhooks"]
)
def test_every_page_sends_a_strict_content_security_policy(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "object-src 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    # No inline script or style anywhere: both are files.
    assert "<script>" not in response.text
    assert "<style" not in response.text
    assert " style=" not in response.text


def test_the_script_and_stylesheet_are_served_from_the_package(client: TestClient) -> None:
    for name, kind in [
        ("ui/main.js", "javascript"),
        ("ui/live.js", "javascript"),
        ("theme.js", "javascript"),
        ("ui.css", "text/css"),
        ("favicon.svg", "svg"),
    ]:
        response = client.get(f"/_emulator/ui/static/{name}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
    assert client.get("/_emulator/ui", follow_redirects=False).headers["location"] == (
        "/_emulator/ui/"
    )


def test_the_inbox_lists_sends_newest_first_with_their_facts(client: TestClient) -> None:
    post_send(client, content={"title": "First push", "message": "one"})
    post_send(
        client,
        applicationIds=[ANDROID_APP, IOS_APP],
        content={"title": "Second push", "message": "two"},
    )
    dispatched(client)
    page = client.get("/").text
    assert page.index("Second push") < page.index("First push")
    assert "Shop Android, Shop iOS" in page
    assert "2 sends" in page
    assert 'data-status="Completed"' in page


def test_inbox_filters_by_application_status_and_text(client: TestClient) -> None:
    post_send(client, content={"title": "Android only", "message": "a"})
    post_send(client, applicationIds=[IOS_APP], content={"title": "iOS only", "message": "b"})
    post_send(client, content={"title": "Later", "message": "c"}, scheduleDate="2099-01-01 10:00")
    dispatched(client)
    by_app = client.get("/", params={"applicationId": IOS_APP}).text
    assert "iOS only" in by_app
    assert "Android only" not in by_app
    assert f'<option value="{IOS_APP}" selected>' in by_app  # the choice is kept
    by_status = client.get("/_emulator/ui/fragments/inbox", params={"status": "Scheduled"}).text
    assert "Later" in by_status
    assert "iOS only" not in by_status
    by_text = client.get("/_emulator/ui/fragments/inbox", params={"q": "droid"}).text
    assert "Android only" in by_text
    assert "Later" not in by_text
    refused = client.get("/", params={"status": "Nope"})
    assert refused.status_code == 400
    assert "status: must be one of" in refused.text


def test_captured_markup_is_text_and_unsafe_urls_are_inert(client: TestClient) -> None:
    answer = post_send(
        client,
        content={
            "title": XSS,
            "message": "<script>alert(2)</script>",
            "targetUrl": "javascript:alert(3)",
            "mediaUrl": "javascript:alert(4)",
        },
    )
    dispatched(client)
    for text in [
        client.get("/").text,
        client.get(f"/_emulator/ui/sends/{answer['transactionId']}").text,
    ]:
        assert XSS not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
        assert "<script>alert" not in text
        assert 'href="javascript' not in text
        assert 'src="javascript' not in text
    detail = client.get(f"/_emulator/ui/sends/{answer['transactionId']}").text
    assert "mediaUrl not shown (not an http(s) URL)" in detail
    assert 'class="inert-link' in detail


def test_the_send_view_shows_each_device_its_own_text(client: TestClient) -> None:
    answer = post_send(
        client, applicationIds=[ANDROID_APP, IOS_APP], content={"templateId": WELCOME_TEMPLATE}
    )
    dispatched(client)
    page = client.get(f"/_emulator/ui/sends/{answer['data']['trackingId']}").text
    assert "Welcome back, Ada!" in page
    assert "Ada, your basket is waiting for you." in page
    assert "Welcome back, friend!" in page  # an anonymous device
    assert 'class="device android"' in page
    assert 'class="device ios"' in page
    assert '<img class="n-image" src="https://shop.example.com/img/basket.png"' in page
    assert 'href="https://shop.example.com/basket"' in page
    assert 'data-action="open"' in page
    assert 'data-action="click"' in page
    assert "Copy as curl" in page


def test_the_send_view_says_how_each_delivery_came_out(client: TestClient) -> None:
    client.patch("/_emulator/devices/apns-lena-iphone13", json={"outcome": "senderMismatch"})
    answer = post_send(client, applicationIds=[ANDROID_APP, IOS_APP])
    dispatched(client)
    page = client.get(f"/_emulator/ui/sends/{answer['data']['trackingId']}").text
    assert "<dt>Outcomes</dt><dd>11 delivered, 1 unregistered, 1 senderMismatch</dd>" in page
    assert "Not delivered (bounced): <strong>400 DeviceTokenNotForTopic</strong>" in page
    assert "Not delivered (bounced): <strong>UNREGISTERED</strong>" in page  # FCM's words


def test_an_unknown_send_is_a_404_page(client: TestClient) -> None:
    response = client.get("/_emulator/ui/sends/no-such-send")
    assert response.status_code == 404
    assert "No send with tracking id" in response.text


def test_the_requests_view_shows_refusals_with_their_error_and_filters(
    client: TestClient,
) -> None:
    post_send(client)
    client.post("/rest/push/sendInstant", json=inline_send(), headers={"Authorization": "Bearer x"})
    runtime_of(client).writer.run_sync(lambda _c: None)  # journal rows are queued
    page = client.get("/_emulator/ui/requests").text
    assert 'class="request-row s4xx"' in page
    assert 'class="request-row s2xx"' in page
    assert "Not authenticated" in page
    refused = client.get("/_emulator/ui/fragments/requests", params={"status": "4xx"}).text
    assert "s4xx" in refused
    assert "s2xx" not in refused
    assert client.get("/_emulator/ui/requests", params={"status": "abc"}).status_code == 400


def test_copy_as_curl_reproduces_the_body_with_a_token_that_works(client: TestClient) -> None:
    fixtures = runtime_of(client).fixtures
    body = '{"content":{"title":"it\'s"}}'
    command = curl_command("http://127.0.0.1:8080/", body, "demo-user", fixtures)
    assert command == (
        "curl -sS -X POST http://127.0.0.1:8080/rest/push/sendInstant \\\n"
        "  -H 'Authorization: Bearer demo-token' \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        '  --data-raw \'{"content":{"title":"it\'"\'"\'s"}}\''
    )
    # A user without a static token logs in first; an unknown one gets placeholders.
    no_tokens = FixtureSet(api_users=[ApiUser(userkey="u1", password="p'1")])
    login = curl_command("http://h", "{}", "u1", no_tokens)
    assert login.startswith(
        "TOKEN=$(curl -sS -X POST http://h/rest/login -H 'Content-Type: application/json' "
        """--data-raw '{"userkey": "u1", "password": "p'"'"'1"}' | python3 -c"""
    )
    assert '-H "Authorization: Bearer $TOKEN"' in login
    assert "USERKEY" in curl_command("http://h", "{}", "gone-user", fixtures)


def log_attempt(client: TestClient, **fields: Any) -> None:
    """An attempt in the deliveries log, as the webhook service records one."""
    runtime_of(client).webhooks.log.add(
        **{
            "at": runtime_of(client).clock.now(),
            "webhook": 0,
            "url": "http://worker:9000/in",
            "event_id": 12,
            "event_kind": "send.status",
            "attempt": 1,
            "result": "delivered",
            "status": 200,
            "latency_ms": 2.5,
            "error": None,
            **fields,
        }
    )


def test_the_webhooks_view_lists_webhooks_masked_and_attempts_escaped(client: TestClient) -> None:
    hook = {"url": "http://worker:9000/in?key=abc123", "secret": "a-long-shared-secret"}
    assert client.put("/_emulator/webhooks", json=[hook]).status_code == 200
    log_attempt(client)
    log_attempt(client, result="failed", status=500, error=f"HTTP 500: {XSS}")
    page = client.get("/_emulator/ui/webhooks")
    assert page.status_code == 200
    assert "http://worker:9000/in?key=%2A%2A%2A%2A" in page.text
    assert "abc123" not in page.text
    assert "a-long-shared-secret" not in page.text
    assert XSS not in page.text
    assert "HTTP 500: &lt;img src=x onerror=alert(1)&gt;" in page.text
    assert page.text.count('class="attempt-row"') == 2
    failed = client.get("/_emulator/ui/fragments/webhooks", params={"result": "failed"})
    assert failed.text.count('class="attempt-row"') == 1
    assert 'data-result="failed"' in failed.text
    bad = client.get("/_emulator/ui/fragments/webhooks", params={"result": "nope"})
    assert bad.status_code == 400


def test_the_webhooks_view_says_how_to_set_one_when_there_is_none(client: TestClient) -> None:
    page = client.get("/_emulator/ui/webhooks")
    assert "No webhooks are set" in page.text
    assert "No webhook attempt yet." in page.text


@pytest.fixture
def guarded(tmp_path: Path, fixtures_dir: Path) -> Iterator[TestClient]:
    settings = Settings(db=tmp_path / "g.db", fixtures=fixtures_dir, admin_token="s3cret-admin")
    with TestClient(create_app(settings)) as client:
        yield client


def test_with_an_admin_token_pages_hold_no_data_and_fragments_need_it(
    guarded: TestClient,
) -> None:
    answer = post_send(guarded, content={"title": "Secret title", "message": "m"})
    page = guarded.get("/")
    assert page.status_code == 200
    assert 'data-auth="required"' in page.text
    assert "Secret title" not in page.text
    detail = guarded.get(f"/_emulator/ui/sends/{answer['transactionId']}")
    assert "Secret title" not in detail.text
    assert guarded.get("/_emulator/ui/fragments/inbox").status_code == 401
    admin = {"Authorization": "Bearer s3cret-admin"}
    fragment = guarded.get("/_emulator/ui/fragments/inbox", params={"part": "body"}, headers=admin)
    assert fragment.status_code == 200
    assert "Secret title" in fragment.text
    assert 'id="filters"' in fragment.text
    guarded.put("/_emulator/webhooks", json=[{"url": "http://worker:9000/in"}], headers=admin)
    assert "worker:9000" not in guarded.get("/_emulator/ui/webhooks").text
    assert guarded.get("/_emulator/ui/fragments/webhooks").status_code == 401
    webhooks = guarded.get("/_emulator/ui/fragments/webhooks", headers=admin)
    assert "worker:9000" in webhooks.text


def test_the_platform_stylesheet_and_the_docs_page_are_served_offline(client: TestClient) -> None:
    css = client.get("/_emulator/ui/platforms.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ".p-android .n-title { -webkit-line-clamp: 1;" in css.text
    docs = client.get("/_emulator/docs")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe" not in policy
    assert "<script>" not in docs.text  # Swagger UI is started by a file of ours
    assert "cdn" not in docs.text.lower()
    for asset in ("swagger/swagger-ui-bundle.js", "swagger/swagger-ui.css", "docs.js"):
        assert f'="/_emulator/ui/static/{asset}"' in docs.text
        assert client.get(f"/_emulator/ui/static/{asset}").status_code == 200
    assert client.get("/_emulator/openapi.json").json()["info"]["title"] == "push-emulator"


def test_the_search_box_reads_prefixes_and_names_what_it_cannot_read(client: TestClient) -> None:
    post_send(client, applicationIds=[IOS_APP], content={"title": "For Grace", "message": "m"})
    post_send(client, content={"title": "For everyone", "message": "m"})
    post_send(client, content={"title": "Later", "message": "m"}, scheduleDate="2099-01-01 10:00")
    dispatched(client)
    by_contact = client.get("/", params={"q": "contact:c-006"}).text
    assert "For Grace" in by_contact
    assert "For everyone" not in by_contact
    by_app_name = client.get("/", params={"q": 'app:"shop ios" grace'}).text
    assert "For Grace" in by_app_name
    assert "For everyone" not in by_app_name
    scheduled = client.get("/_emulator/ui/fragments/inbox", params={"q": "status:scheduled"}).text
    assert "Later" in scheduled
    assert "For Grace" not in scheduled
    refused = client.get("/", params={"q": "colour:red"})
    assert refused.status_code == 400
    assert "search: unknown prefix &#x27;colour:&#x27;" in refused.text
    both = client.get("/", params={"q": "status:queued", "status": "Completed"})
    assert both.status_code == 400
    assert "is also chosen in the status filter" in both.text


def test_pages_go_past_the_first_with_a_cursor(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("emulator.routes.ui.INBOX_LIMIT", 2)
    for title in ("one", "two", "three"):
        post_send(client, content={"title": f"Push {title}", "message": "m"})
    first = client.get("/").text
    assert "Push three" in first
    assert "Push one" not in first
    older = re.search(r'href="(/_emulator/ui/\?cursor=\d+)" class="pager-older"', first)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&")).text
    assert "Push one" in second
    assert "Push three" not in second
    assert 'class="pager-newest"' in second
    assert client.get("/", params={"cursor": "x"}).status_code == 400


def test_a_list_being_read_keeps_still_and_counts_newer_sends(client: TestClient) -> None:
    post_send(client, content={"title": "Seen", "message": "m"})
    top = re.search(r'data-top="(\d+)"', client.get("/").text)
    assert top is not None
    post_send(client, content={"title": "Arrived meanwhile", "message": "m"})
    kept = client.get("/_emulator/ui/fragments/inbox", params={"top": top.group(1)}).text
    assert "Seen" in kept
    assert "Arrived meanwhile" not in kept
    assert "1 new send · show" in kept
    assert "Arrived meanwhile" in client.get("/_emulator/ui/fragments/inbox").text


def test_unread_sends_are_marked_and_counted_until_read(client: TestClient) -> None:
    answer = post_send(client, content={"title": "Unread one", "message": "m"})
    page = client.get("/").text
    assert 'class="send-row unread"' in page
    assert 'data-unread="1"' in page
    client.post(f"/_emulator/sends/{answer['transactionId']}/read")
    page = client.get("/").text
    assert 'class="send-row"' in page
    assert 'data-unread="0"' in page


def test_the_device_view_is_its_inbox_and_the_contact_view_every_send_to_them(
    client: TestClient,
) -> None:
    post_send(client, content={"title": "To all Android", "message": "m"})
    post_send(client, applicationIds=[IOS_APP], content={"title": "To all iOS", "message": "m"})
    dispatched(client)
    device = client.get("/_emulator/ui/devices/fcm-ada-pixel8").text
    assert "To all Android" in device
    assert "To all iOS" not in device
    assert '<a href="/_emulator/ui/contacts/c-001">c-001</a>' in device
    assert device.count('class="feed-item"') == 1
    unknown = client.get("/_emulator/ui/devices/nobody-token").text
    assert "No device with this token is in the fixtures" in unknown
    assert "Nothing has reached this device yet." in unknown
    mehmet = client.get("/_emulator/ui/contacts/c-002").text  # an Android and an iPhone
    assert "To all Android" in mehmet
    assert "To all iOS" in mehmet
    assert 'href="/_emulator/ui/devices/apns-mehmet-iphone"' in mehmet
    grace = client.get("/_emulator/ui/contacts/c-006").text
    assert "To all Android" not in grace


def test_the_send_view_notes_cut_text_and_offers_dispatch_now_when_scheduled(
    client: TestClient,
) -> None:
    long_title = "Our biggest summer sale ever starts today: up to 70% off on every shoe, bag!"
    answer = post_send(client, content={"title": long_title, "message": "m"})
    scheduled = post_send(client, content={"title": "t", "message": "m"}, scheduleDate="2099-01-01")
    dispatched(client)
    page = client.get(f"/_emulator/ui/sends/{answer['transactionId']}").text
    assert f"title: {len(long_title)} characters; Android shows about 40" in page
    assert "<dt>Language</dt><dd>EN</dd>" in page  # single content: the device's language
    assert 'data-action="dispatch"' not in page
    later = client.get(f"/_emulator/ui/sends/{scheduled['transactionId']}").text
    assert f'data-action="dispatch" data-key="{scheduled["transactionId"]}"' in later


def test_new_views_keep_captured_markup_inert(client: TestClient) -> None:
    post_send(client, content={"title": XSS, "message": "<script>alert(2)</script>"})
    dispatched(client)
    for path, params in [
        ("/_emulator/ui/devices/fcm-ada-pixel8", {}),
        ("/_emulator/ui/contacts/c-001", {}),
        ("/", {"q": XSS}),
        ("/_emulator/ui/devices/" + XSS, {}),
        ("/_emulator/ui/contacts/" + XSS, {}),
    ]:
        text = client.get(path, params=params).text
        assert XSS not in text
        assert "<script>alert" not in text
