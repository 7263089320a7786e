"""The dispatcher: fan-out, personalised deliveries, languages, schedules, restarts, events."""

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from sqlmodel import Session, select

import emulator.fanout.deliveries
import emulator.fanout.dispatcher
import emulator.fanout.personalise
import emulator.storage.dispatch
from emulator.app import create_app
from emulator.events import EventKind
from emulator.fanout.audience import Audience, iter_audience, resolve_audience
from emulator.fanout.deliveries import SendContent, delivery_rows
from emulator.fanout.personalise import Misses
from emulator.fanout.plan import Defaults, Planner
from emulator.runtime import Runtime
from emulator.settings import Settings
from emulator.storage.deliveries import insert_deliveries
from emulator.storage.rows import sql_datetime
from emulator.storage.tables import (
    COMPLETED,
    DELIVERED,
    FAILED,
    QUEUED,
    SCHEDULED,
    SENDING,
    Delivery,
    Send,
)
from emulator.storage.writer import WriterClosed
from tests.support.app import runtime_of
from tests.support.demo import (
    ANDROID_APP,
    DEMO,
    IOS_APP,
    SALE_TEMPLATE,
    TURKISH_SEGMENT,
    WEB_APP,
    WELCOME_TEMPLATE,
    inline_send,
)
from tests.support.stored import stored_sends

NOON = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def settle(client: TestClient) -> None:
    """Wait until every due send is fanned out: no sleeping, the dispatcher says when."""
    assert runtime_of(client).dispatcher.wait_idle(timeout=30)


def send(client: TestClient, body: dict[str, Any]) -> str:
    response = client.post("/rest/push/sendInstant", json=body, headers=DEMO)
    assert response.status_code == 200, response.text
    tracking_id: str = response.json()["data"]["trackingId"]
    return tracking_id


def deliveries_of(runtime: Runtime, send_id: int | None = None) -> list[Delivery]:
    with Session(runtime.engine) as session:
        query = select(Delivery).order_by(Delivery.id)  # type: ignore[arg-type]
        if send_id is not None:
            query = query.where(Delivery.send_id == send_id)
        return list(session.exec(query))


def by_token(runtime: Runtime) -> dict[str, Delivery]:
    return {d.token: d for d in deliveries_of(runtime)}


def test_a_send_fans_out_to_one_delivery_per_device_and_completes(client: TestClient) -> None:
    send(client, inline_send())
    settle(client)
    [stored] = stored_sends(client)
    assert stored.status == COMPLETED
    assert stored.completed_at is not None
    assert stored.delivery_count == 7
    rows = by_token(runtime_of(client))
    assert len(rows) == 7
    ada = rows["fcm-ada-pixel8"]
    assert (ada.send_id, ada.application_id, ada.platform) == (stored.id, ANDROID_APP, "android")
    assert (ada.contact_key, ada.device_type, ada.browser) == ("c-001", "Android Phone", None)
    assert (ada.title, ada.message, ada.status, ada.reason) == ("Hi", "Hello", DELIVERED, None)
    assert ada.language is None  # single content: no language was chosen
    assert ada.device_language == "EN"  # but the device has one, and it is recorded
    assert rows["fcm-anonymous-1"].contact_key is None


def test_an_unregistered_device_is_targeted_and_its_delivery_fails(client: TestClient) -> None:
    send(client, inline_send())
    settle(client)
    old = by_token(runtime_of(client))["fcm-old-handset"]
    # FCM's own answer for a token that is no longer registered.
    assert (old.status, old.outcome, old.reason) == (FAILED, "unregistered", "UNREGISTERED")
    assert old.title == "Hi"  # what it would have shown is still recorded


def test_segment_table_and_engaged_audiences_reach_the_stored_send(client: TestClient) -> None:
    send(
        client,
        inline_send(applicationIds=[ANDROID_APP, IOS_APP], segmentId=TURKISH_SEGMENT),
    )
    send(client, inline_send(applicationIds=[WEB_APP], useOnlyEngagedTokens=True))
    settle(client)
    first, second = stored_sends(client)
    runtime = runtime_of(client)
    assert {d.token for d in deliveries_of(runtime, first.id)} == {
        "fcm-mehmet-galaxy",
        "fcm-ayse-redmi",
        "fcm-zeynep-a54",
        "fcm-old-handset",
        "apns-mehmet-iphone",
    }
    assert {d.token for d in deliveries_of(runtime, second.id)} == {
        "web-ada-chrome",
        "web-jonas-firefox",
        "web-zeynep-chrome",
    }
    assert (first.delivery_count, second.delivery_count) == (5, 3)


def test_a_device_that_opened_an_earlier_push_counts_as_engaged(client: TestClient) -> None:
    send(client, inline_send())
    settle(client)
    runtime = runtime_of(client)
    deliveries = Delivery.__table__  # type: ignore[attr-defined]
    runtime.writer.run_sync(
        lambda c: c.execute(
            update(deliveries)
            .where(deliveries.c.token.in_(["fcm-ayse-redmi", "fcm-jonas-tab"]))
            .values(opened_at=NOON)
        )
    )
    send(client, inline_send(useOnlyEngagedTokens=True))
    settle(client)
    second = stored_sends(client)[1]
    assert {d.token for d in deliveries_of(runtime, second.id)} == {
        "fcm-ada-pixel8",  # engaged in the fixtures
        "fcm-mehmet-galaxy",
        "fcm-zeynep-a54",
        "fcm-ayse-redmi",  # opened the first push
        "fcm-jonas-tab",
    }


def test_an_audience_of_nobody_completes_with_no_deliveries(client: TestClient) -> None:
    send(client, inline_send(segmentId="00000000-0000-0000-0000-00000000abcd"))
    settle(client)
    [stored] = stored_sends(client)
    assert (stored.status, stored.delivery_count) == (COMPLETED, 0)


def test_missing_application_ids_reach_every_application(client: TestClient) -> None:
    send(client, {"content": {"title": "All"}})
    settle(client)
    [stored] = stored_sends(client)
    assert stored.delivery_count == 20
    assert stored.warnings[0].startswith("applicationIds: missing or empty")


def test_a_template_is_personalised_per_recipient(client: TestClient) -> None:
    send(client, {"applicationIds": [ANDROID_APP], "content": {"templateId": WELCOME_TEMPLATE}})
    settle(client)
    rows = by_token(runtime_of(client))
    ada, anonymous = rows["fcm-ada-pixel8"], rows["fcm-anonymous-1"]
    assert ada.title == "Welcome back, Ada!"
    assert ada.message == "Ada, your basket is waiting for you."
    assert ada.target_url == "https://shop.example.com/basket"
    assert ada.media_url == "https://shop.example.com/img/basket.png"
    assert anonymous.title == "Welcome back, friend!"
    assert anonymous.message == "Your basket is waiting for you."
    [stored] = stored_sends(client)
    assert stored.warnings == []  # the template handles every missing field itself


def test_other_content_fields_are_rendered_into_extra(client: TestClient) -> None:
    content = {
        "title": "Hi",
        "subTitle": "From {%= $Contact.city || 'us' %}",
        "badgeCount": 3,
        "customParams": {"name": "{%= $Contact.first_name %}"},
    }
    send(client, inline_send(content=content))
    settle(client)
    rows = by_token(runtime_of(client))
    assert rows["fcm-ada-pixel8"].extra == {
        "subTitle": "From London",
        "badgeCount": 3,
        "customParams": {"name": "Ada"},
    }
    assert rows["fcm-anonymous-1"].extra["subTitle"] == "From us"
    assert rows["fcm-ada-pixel8"].message is None


def test_per_recipient_warnings_are_aggregated_onto_the_send(client: TestClient) -> None:
    content = {"title": "Hi {%= $Contact.first_name %}", "message": "{% weird %}"}
    send(client, inline_send(applicationIds=[ANDROID_APP, IOS_APP], content=content))
    settle(client)
    [stored] = stored_sends(client)
    # Android's anonymous device and iOS's Weber (no first name): 2 of 13 recipients.
    assert stored.warnings == [
        "content.message: '{% weird %}' is not a personalisation tag the emulator "
        "understands; it was kept verbatim",
        "content.title: 2 of 13 recipient(s) have no $Contact.first_name; it rendered empty",
    ]
    assert by_token(runtime_of(client))["apns-weber-iphone"].title == "Hi "


def test_each_device_gets_its_languages_content_or_the_default(client: TestClient) -> None:
    send(client, {"applicationIds": [IOS_APP], "content": {"templateId": SALE_TEMPLATE}})
    settle(client)
    rows = by_token(runtime_of(client))
    got = {token: (d.language, d.title) for token, d in rows.items()}
    assert got == {
        "apns-grace-iphone15": ("EN", "Summer sale, Grace!"),
        "apns-lena-iphone13": ("DE", "Sommerschlussverkauf, Lena!"),
        "apns-alan-ipad": ("EN", "Summer sale, Alan!"),
        "apns-pierre-iphone": ("EN", "Summer sale, Pierre!"),  # FR has no entry: default
        "apns-weber-iphone": ("DE", "Sommerschlussverkauf, !"),
        "apns-mehmet-iphone": ("TR", "Yaz indirimi, Mehmet!"),
    }
    assert rows["apns-mehmet-iphone"].target_url == "https://shop.example.com/tr/sale"


def test_language_matching_is_case_insensitive_and_records_the_entrys_language(
    client: TestClient,
) -> None:
    body = {
        "applicationIds": [ANDROID_APP],
        "multiLangContent": {
            "defaultLanguage": "de",
            "contents": [
                {"language": "tr", "title": "Merhaba"},
                {"language": "de", "title": "Hallo"},
            ],
        },
    }
    send(client, body)
    settle(client)
    rows = by_token(runtime_of(client))
    assert (rows["fcm-mehmet-galaxy"].language, rows["fcm-mehmet-galaxy"].title) == (
        "tr",
        "Merhaba",
    )
    assert (rows["fcm-ada-pixel8"].language, rows["fcm-ada-pixel8"].title) == ("de", "Hallo")


def test_each_content_string_is_compiled_once_per_send_not_per_recipient(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = emulator.fanout.personalise.compile_text

    def counting(
        source: str, path: str, *dialect: emulator.fanout.personalise.Dialect
    ) -> emulator.fanout.personalise.Template:
        calls.append(path)
        return original(source, path, *dialect)

    monkeypatch.setattr(emulator.fanout.personalise, "compile_text", counting)
    monkeypatch.setattr(emulator.fanout.deliveries, "compile_text", counting)
    send(client, {"content": {"templateId": WELCOME_TEMPLATE}})  # 20 recipients
    settle(client)
    # Four strings in the template, twenty recipients: four compilations.
    assert sorted(calls) == [
        "content.mediaUrl",
        "content.message",
        "content.targetUrl",
        "content.title",
    ]


def test_status_events_follow_each_committed_change(client: TestClient) -> None:
    runtime = runtime_of(client)

    async def scenario() -> list[tuple[str, Any, Any]]:
        async with runtime.events.subscribe() as subscription:
            tracking_id = send(client, inline_send())
            seen: list[tuple[str, Any, Any]] = []
            while len(seen) < 3:
                event = await subscription.next(timeout=30)
                assert event is not None
                if event.kind in {"send", "send.status"}:
                    assert event.data["trackingId"] == tracking_id
                    sample = (event.data.get("title"), event.data.get("message"))
                    seen.append((event.kind, event.data["status"], sample))
            return seen

    # Completed carries what the first device was shown: a browser notification's text.
    assert asyncio.run(scenario()) == [
        ("send", QUEUED, (None, None)),
        ("send.status", SENDING, (None, None)),
        ("send.status", COMPLETED, ("Hi", "Hello")),
    ]


def test_a_send_is_stored_queued_and_waits_while_the_dispatcher_is_stopped(
    client: TestClient,
) -> None:
    runtime = runtime_of(client)
    runtime.dispatcher.stop()
    send(client, inline_send())
    [stored] = stored_sends(client)
    assert stored.status == QUEUED
    assert deliveries_of(runtime) == []
    assert runtime.dispatcher.wait_idle(timeout=1) is False  # not running: nothing will happen


def test_a_scheduled_send_fans_out_when_the_clock_reaches_it(client: TestClient) -> None:
    runtime = runtime_of(client)
    runtime.clock.freeze(NOON)
    send(client, inline_send(scheduleDate="2030-06-01 13:00"))
    send(client, inline_send(scheduleDate="2030-06-02 13:00"))
    settle(client)
    assert [s.status for s in stored_sends(client)] == [SCHEDULED, SCHEDULED]
    assert deliveries_of(runtime) == []

    runtime.clock.advance(3599)
    settle(client)
    assert [s.status for s in stored_sends(client)] == [SCHEDULED, SCHEDULED]

    runtime.clock.advance(1)  # moving the clock wakes the dispatcher at once
    settle(client)
    first, second = stored_sends(client)
    assert (first.status, second.status) == (COMPLETED, SCHEDULED)
    assert first.completed_at == NOON + timedelta(hours=1)
    assert {d.created_at for d in deliveries_of(runtime, first.id)} == {NOON + timedelta(hours=1)}

    runtime.clock.set_offset((NOON + timedelta(days=2) - datetime.now(UTC)).total_seconds())
    settle(client)
    assert stored_sends(client)[1].status == COMPLETED


def test_a_past_schedule_fans_out_at_once(client: TestClient) -> None:
    send(client, inline_send(scheduleDate="2001-01-01"))
    settle(client)
    [stored] = stored_sends(client)
    assert (stored.status, stored.delivery_count) == (COMPLETED, 7)


def _half_dispatch(runtime: Runtime, send_id: int, how_many: int) -> None:
    """What a crash mid fan-out leaves: the send Sending and its first rows written."""
    with Session(runtime.engine) as session:
        stored = session.get(Send, send_id)
        assert stored is not None
        audience = Audience(stored.application_ids, stored.segment_id, stored.table_id)
        content = SendContent.compile(stored.content)
    recipients = resolve_audience(runtime.fixtures, audience)[:how_many]
    then = NOON - timedelta(days=1)
    planner = Planner(Defaults(), None, lambda: random.Random(0), then)
    rows = list(delivery_rows(send_id, content, recipients, sql_datetime(then), Misses(), planner))

    def write(connection: Any) -> None:
        connection.execute(
            update(Send.__table__).where(Send.__table__.c.id == send_id).values(status=SENDING)  # type: ignore[attr-defined]
        )
        insert_deliveries(connection, rows)

    runtime.writer.run_sync(write)


def test_on_restart_a_half_dispatched_send_completes_once_and_schedules_wait(
    settings: Settings,
) -> None:
    first_run = create_app(settings)
    with TestClient(first_run) as client:
        runtime = runtime_of(client)
        runtime.dispatcher.stop()  # as if the process died before dispatching
        send(client, inline_send(applicationIds=[ANDROID_APP, IOS_APP]))
        send(client, inline_send(scheduleDate="2999-01-01"))
        send(client, inline_send(applicationIds=[WEB_APP]))
        _half_dispatch(runtime, 1, how_many=5)
        assert [s.status for s in stored_sends(client)] == [SENDING, SCHEDULED, QUEUED]

    second_run = create_app(settings)  # a new runtime on the same database file
    with TestClient(second_run) as client:
        settle(client)
        half, scheduled, queued = stored_sends(client)
        runtime = runtime_of(client)
        assert (half.status, half.delivery_count) == (COMPLETED, 13)
        rows = deliveries_of(runtime, half.id)
        assert len(rows) == 13
        assert len({(d.application_id, d.token) for d in rows}) == 13
        # The five written before the crash were kept, not rewritten.
        assert sum(d.created_at == NOON - timedelta(days=1) for d in rows) == 5
        assert (queued.status, queued.delivery_count) == (COMPLETED, 7)
        assert scheduled.status == SCHEDULED
        assert deliveries_of(runtime, scheduled.id) == []

        runtime.clock.freeze(datetime(2999, 1, 1, tzinfo=UTC))
        settle(client)
        assert stored_sends(client)[1].status == COMPLETED


def test_dispatching_a_completed_send_again_writes_nothing(client: TestClient) -> None:
    send(client, inline_send())
    settle(client)
    runtime = runtime_of(client)
    runtime.dispatcher.dispatch(1)
    assert len(deliveries_of(runtime)) == 7
    assert stored_sends(client)[0].delivery_count == 7


def test_a_large_audience_is_written_in_chunks(settings: Settings) -> None:
    runtime = Runtime.start(settings)
    runtime.dispatcher.chunk_size = 3  # 20 devices: seven writer operations
    with TestClient(create_app(settings, runtime)) as client:
        send(client, {"content": {"title": "All"}})
        settle(client)
        [stored] = stored_sends(client)
        assert (stored.status, stored.delivery_count) == (COMPLETED, 20)
        assert len({d.token for d in deliveries_of(runtime)}) == 20


def test_a_send_removed_during_its_fan_out_is_abandoned_quietly(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = runtime_of(client)

    def remove_then_iterate(fixtures: Any, audience: Audience) -> Any:
        # What a reset or pruning does while a fan-out runs: the send row disappears.
        runtime.writer.run_sync(lambda c: c.execute(delete(Send.__table__)))  # type: ignore[attr-defined]
        return iter_audience(fixtures, audience)

    monkeypatch.setattr("emulator.fanout.dispatcher.iter_audience", remove_then_iterate)
    send(client, inline_send())
    settle(client)
    assert stored_sends(client) == []
    assert deliveries_of(runtime) == []


def test_a_send_that_cannot_be_fanned_out_completes_with_a_warning_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_content: Any, *_dialect: Any) -> Any:
        raise ValueError("boom")

    monkeypatch.setattr(SendContent, "compile", broken)
    send(client, inline_send())
    settle(client)
    [stored] = stored_sends(client)
    assert stored.status == COMPLETED
    assert stored.delivery_count == 0
    assert stored.warnings == ["the emulator could not fan this send out: boom"]


# -- batches: many sends due at once ---------------------------------------------------------

BATCHED = [
    inline_send(),
    inline_send(applicationIds=[IOS_APP, WEB_APP]),
    inline_send(applicationIds=[WEB_APP], segmentId=TURKISH_SEGMENT),
    inline_send(
        applicationIds=[ANDROID_APP, IOS_APP], content={"title": "{%= $Contact.first_name %}"}
    ),
]


def _schedule_batch(client: TestClient, count: int, big: int = 0) -> None:
    """`count` small sends of mixed audiences and `big` to every device, all due at 13:00."""
    runtime_of(client).clock.freeze(NOON)
    for index in range(count):
        send(client, {**BATCHED[index % len(BATCHED)], "scheduleDate": "2030-06-01 13:00"})
    for _ in range(big):
        send(client, {"content": {"title": "All"}, "scheduleDate": "2030-06-01 13:00"})
    settle(client)


def _writes_by_kind(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The writer operations asked for from now on, by the write's name."""
    asked: list[str] = []
    submit = runtime.writer.submit

    def counted(write: Any) -> Any:
        asked.append(write.__qualname__.split(".")[0])
        return submit(write)

    monkeypatch.setattr(runtime.writer, "submit", counted)
    return asked


def _assert_each_fanned_out_once(client: TestClient) -> None:
    runtime = runtime_of(client)
    for stored in stored_sends(client):
        audience = Audience(stored.application_ids, stored.segment_id, stored.table_id)
        expected = len(resolve_audience(runtime.fixtures, audience))
        rows = deliveries_of(runtime, stored.id)
        assert (stored.status, stored.delivery_count, len(rows)) == (COMPLETED, expected, expected)
        assert len({(d.application_id, d.token) for d in rows}) == expected


def test_small_sends_due_at_once_are_written_in_one_transaction(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _schedule_batch(client, 12)
    runtime = runtime_of(client)
    asked = _writes_by_kind(runtime, monkeypatch)
    runtime.clock.advance(3600)
    settle(client)
    _assert_each_fanned_out_once(client)
    # One commit for all twelve, where each send alone took three writer round trips.
    assert asked.count("fan_out_batch") == 1
    assert {"move_status", "insert_chunk", "finish"}.isdisjoint(asked)
    # The personalised one was rendered per recipient, as when sent alone.
    titles = {d.title for d in deliveries_of(runtime, 4)}
    assert {"Ada", "Grace"} <= titles


def test_a_batch_keeps_the_events_of_sends_dispatched_one_by_one(client: TestClient) -> None:
    _schedule_batch(client, 3)
    runtime = runtime_of(client)

    async def scenario() -> list[tuple[int, str]]:
        async with runtime.events.subscribe() as subscription:
            runtime.clock.advance(3600)
            seen: list[tuple[int, str]] = []
            while len(seen) < 6:
                event = await subscription.next(timeout=30)
                assert event is not None
                if event.kind == "send.status":
                    seen.append((event.data["id"], event.data["status"]))
            return seen

    seen = asyncio.run(scenario())
    for send_id in (1, 2, 3):
        assert [status for i, status in seen if i == send_id] == [SENDING, COMPLETED]


def test_a_large_send_among_small_ones_keeps_its_chunks(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Runtime.start(settings)
    runtime.dispatcher.chunk_size = 7  # the Android app's 7 devices fit; all 20 take three
    with TestClient(create_app(settings, runtime)) as client:
        _schedule_batch(client, 5, big=1)
        asked = _writes_by_kind(runtime, monkeypatch)
        runtime.clock.advance(3600)
        settle(client)
        _assert_each_fanned_out_once(client)
        counts = [s.delivery_count for s in stored_sends(client)]
        large = [n for n in counts if n > 7]
        assert 20 in large
        assert len(large) < len(counts)  # the small ones share one batch
        assert asked.count("fan_out_batch") == 1
        assert asked.count("insert_chunk") == sum(-(-n // 7) for n in large)


def test_small_sends_go_out_between_the_chunks_of_a_large_one(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = Runtime.start(settings)
    runtime.dispatcher.chunk_size = 7
    finished: list[int] = []
    publish = runtime.events.publish

    def recorded(kind: EventKind, **data: Any) -> Any:
        if kind == "send.status" and data["status"] == COMPLETED:
            finished.append(data["id"])
        return publish(kind, **data)

    monkeypatch.setattr(runtime.events, "publish", recorded)
    with TestClient(create_app(settings, runtime)) as client:
        real_rows = emulator.fanout.deliveries.delivery_rows
        sent_meanwhile: list[str] = []

        def rows_then_a_small_send(send_id: int, *args: Any) -> Any:
            if send_id == 1 and not sent_meanwhile:
                # Accepted while the big send's first chunk is being rendered.
                sent_meanwhile.append(send(client, inline_send()))
            return real_rows(send_id, *args)

        monkeypatch.setattr(emulator.fanout.dispatcher, "delivery_rows", rows_then_a_small_send)
        send(client, {"content": {"title": "All"}})
        settle(client)
        _assert_each_fanned_out_once(client)
        assert sent_meanwhile
        # The small one did not wait for the whole fan-out before it.
        assert finished == [2, 1]


def test_a_batch_cut_short_by_a_stopped_writer_is_done_once_on_restart(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_batch = emulator.storage.dispatch.fan_out_batch

    def stopped_mid_batch(*args: Any) -> Any:
        write = real_batch(*args)

        def write_then_stop(connection: Any) -> Any:
            write(connection)  # every row of the batch written, none committed
            raise WriterClosed("the writer is closed")

        return write_then_stop

    with TestClient(create_app(settings)) as client:
        monkeypatch.setattr(emulator.storage.dispatch, "fan_out_batch", stopped_mid_batch)
        _schedule_batch(client, 8)
        runtime_of(client).clock.advance(3600)
        settle(client)
        assert {s.status for s in stored_sends(client)} == {SCHEDULED}
        assert deliveries_of(runtime_of(client)) == []

    monkeypatch.undo()
    with TestClient(create_app(settings)) as client:
        runtime_of(client).clock.freeze(NOON + timedelta(hours=1))
        settle(client)
        _assert_each_fanned_out_once(client)
