"""Control as plain functions on a runtime: reset, fixture replacement, engagement."""

import asyncio
from datetime import UTC, datetime

import pytest

from emulator import control
from emulator.errors import BadRequest
from emulator.push.accept import accept_send, record_send
from emulator.runtime import Runtime
from emulator.storage.deliveries import insert_deliveries
from emulator.storage.rows import sql_datetime
from emulator.storage.sends import SendFilters, count_sends
from tests.support.demo import ANDROID_APP


def store_send(runtime: Runtime) -> int:
    context = runtime.send_context("demo-user", "127.0.0.1")
    accepted = accept_send(b'{"content": {"title": "Hi"}}', context)
    return asyncio.run(record_send(runtime.writer, accepted))


def stored(runtime: Runtime) -> int:
    with runtime.engine.connect() as connection:
        return count_sends(connection, SendFilters())


def test_reset_clears_data_and_runs_every_reset_hook(runtime: Runtime) -> None:
    store_send(runtime)
    runtime.clock.freeze(datetime(2031, 1, 1, tzinfo=UTC))
    heard: list[str] = []
    runtime.reset_hooks.append(lambda: heard.append("mine"))
    asyncio.run(control.reset(runtime))
    assert stored(runtime) == 0
    assert runtime.clock.mode == "real"
    assert heard == ["mine"]


def test_reset_changes_nothing_when_the_folder_no_longer_loads(runtime: Runtime) -> None:
    store_send(runtime)
    (runtime.settings.fixtures / "devices.json").write_text("[{")
    with pytest.raises(BadRequest, match=r"devices\.json"):
        asyncio.run(control.reset(runtime))
    assert stored(runtime) == 1


def test_replace_fixtures_is_all_or_nothing(runtime: Runtime) -> None:
    before = runtime.fixtures
    with pytest.raises(BadRequest, match=r"body/devices\.json: record 0"):
        control.replace_fixtures(runtime, {"devices": [{"token": "t"}]})
    assert runtime.fixtures is before
    with pytest.raises(BadRequest, match="must be a JSON object of fixture files"):
        control.replace_fixtures(runtime, [])
    loaded = control.replace_fixtures(runtime, {"api_users": before.to_json()["api_users"]})
    assert runtime.fixtures is loaded
    assert loaded.devices == []


def test_engage_marks_the_delivery_once_and_engages_its_device(runtime: Runtime) -> None:
    send_id = store_send(runtime)
    token = runtime.fixtures.devices[0].token
    now = sql_datetime(runtime.clock.now())
    # contact_key, language, device_language, device_type, browser: none
    shown = (send_id, token, ANDROID_APP, "android", None, None, None, None, None, "Hi", None)
    plan = ("Delivered", "delivered", None, now, None, None, None, None)
    row = (*shown, None, None, "{}", *plan, now)
    runtime.writer.run_sync(lambda c: insert_deliveries(c, [row]))
    opened = asyncio.run(control.engage(runtime, 1, clicked=False))
    assert opened is not None
    assert opened.device_found
    assert opened.delivery["openedAt"] is not None
    assert opened.delivery["clickedAt"] is None
    clicked = asyncio.run(control.engage(runtime, 1, clicked=True))
    assert clicked is not None
    assert clicked.delivery["openedAt"] == opened.delivery["openedAt"]  # the first open stays
    assert next(d for d in runtime.fixtures.devices if d.token == token).engaged
    assert asyncio.run(control.engage(runtime, 99, clicked=False)) is None
