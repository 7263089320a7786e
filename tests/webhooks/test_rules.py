"""Webhook rules: validation naming each field, '*', masking, and the preset file."""

import json
from pathlib import Path
from typing import Any

import pytest

from emulator.events import WEBHOOK, WEBHOOK_KINDS
from emulator.webhooks.rules import (
    MAX_WEBHOOKS,
    WebhookRuleError,
    load_webhook_file,
    masked_url,
    parse_webhooks,
)

URL = "http://127.0.0.1:9000/hook"


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ({}, "[0].url: is required"),
        ({"url": "receiver:9000/hook"}, "[0].url: must be an http or https URL"),
        ({"url": "http:///nohost"}, "[0].url: must be an http or https URL with a host"),
        ({"url": "http://host:port/"}, "[0].url: must be an http or https URL"),
        ({"url": "http://a b/"}, "[0].url: must not hold spaces or control characters"),
        ({"url": URL, "events": []}, "[0].events: must not be empty"),
        ({"url": URL, "events": "send"}, "[0].events: must be an array"),
        ({"url": URL, "secret": ""}, "[0].secret: must not be empty"),
        ({"url": URL, "delayMs": "5"}, "[0].delayMs: must be an integer"),
        ({"url": URL, "headers": {"X-A": "one\r\nX-B: two"}}, "[0].headers.X-A: must not hold"),
        ({"url": URL, "headers": {"Content-Type": "text/plain"}}, "[0].headers.Content-Type: is"),
        ({"url": URL, "headers": {"x-push-emulator-event": "x"}}, "[0].headers.x-push-emulator"),
    ],
)
def test_bad_webhooks_name_the_field_and_rule(rule: dict[str, Any], problem: str) -> None:
    with pytest.raises(WebhookRuleError) as caught:
        parse_webhooks([rule])
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_too_many_webhooks_are_refused() -> None:
    with pytest.raises(WebhookRuleError, match=f"at most {MAX_WEBHOOKS} webhooks"):
        parse_webhooks([{"url": URL}] * (MAX_WEBHOOKS + 1))


def test_star_means_every_kind_but_the_webhooks_own_attempts() -> None:
    [rule] = parse_webhooks([{"url": URL}])
    assert rule.events == ["*"]
    assert rule.kinds() == frozenset(WEBHOOK_KINDS)
    assert WEBHOOK not in rule.kinds()
    [narrow] = parse_webhooks([{"url": URL, "events": ["send.status", "prune"]}])
    assert narrow.kinds() == {"send.status", "prune"}


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://worker:9000/in", "http://worker:9000/in"),
        ("https://u:secret@host/in", "https://u:****@host/in"),
        ("https://host/in?token=abc", "https://host/in?token=%2A%2A%2A%2A"),
    ],
)
def test_urls_are_shown_without_their_credentials(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_a_preset_file_problem_names_the_file_and_the_field(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.json"
    path.write_text(json.dumps([{"url": URL}, {"url": "mailto:ops@example.test"}]))
    with pytest.raises(WebhookRuleError) as caught:
        load_webhook_file(path)
    assert str(caught.value).startswith(f"webhooks file {path}: [1].url: must be an http")
    path.write_text("[{")
    with pytest.raises(WebhookRuleError, match="is not valid JSON"):
        load_webhook_file(path)
    with pytest.raises(WebhookRuleError, match="cannot be read"):
        load_webhook_file(tmp_path / "absent.json")
