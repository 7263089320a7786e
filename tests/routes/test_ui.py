"""The web inbox's pages and fragments, in process: content, escaping, headers and the token."""

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
    for name, kind in [("ui.js", "javascript"), ("ui.css", "text/css"), ("favicon.svg", "svg")]:
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
