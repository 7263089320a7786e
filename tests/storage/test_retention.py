"""Bounded storage: EMULATOR_MAX_SENDS and EMULATOR_MAX_AGE prune sends, deliveries, journal."""

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from emulator.app import create_app
from emulator.clock import Clock
from emulator.settings import Settings
from emulator.storage.retention import Pruned, Pruner, prune
from emulator.storage.tables import deliveries, journal, sends
from tests.support.app import runtime_of
from tests.support.inspecting import add_delivery, hold_dispatcher, post_send, send_id_of


@pytest.fixture(autouse=True)
def _held(client: TestClient) -> None:
    hold_dispatcher(client)


def counts(client: TestClient) -> tuple[int, int, int]:
    runtime = runtime_of(client)
    runtime.writer.run_sync(lambda _c: None)
    with runtime.engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            int(connection.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (sends, deliveries, journal)
        )


def make(client: TestClient, n: int) -> list[str]:
    """n sends a minute apart on a frozen clock, each with one delivery and a journal row."""
    clock = runtime_of(client).clock
    made = []
    for _ in range(n):
        answer = post_send(client)
        add_delivery(client, send_id_of(client, answer["transactionId"]), "fcm-ada-pixel8")
        made.append(answer["transactionId"])
        clock.advance(60)
    return made


def run_prune(client: TestClient, max_sends: int | None, max_age: int | None) -> Pruned:
    runtime = runtime_of(client)
    now = runtime.clock.now()
    return runtime.writer.run_sync(lambda c: prune(c, now, max_sends, max_age))


@pytest.fixture
def frozen(client: TestClient) -> TestClient:
    runtime_of(client).clock.freeze(Clock().now())
    return client


def test_max_sends_keeps_the_newest_sends_and_as_many_journal_rows(frozen: TestClient) -> None:
    made = make(frozen, 5)
    assert run_prune(frozen, max_sends=2, max_age=None) == Pruned(3, 3, 3)
    listed = [i["transactionId"] for i in frozen.get("/_emulator/sends").json()["items"]]
    assert listed == [made[4], made[3]]
    assert counts(frozen) == (2, 2, 2)


def test_max_age_prunes_by_the_emulator_clock(frozen: TestClient) -> None:
    made = make(frozen, 5)  # received at t, t+60 … t+240; now is t+300
    assert run_prune(frozen, max_sends=None, max_age=200) == Pruned(2, 2, 2)
    listed = [i["transactionId"] for i in frozen.get("/_emulator/sends").json()["items"]]
    assert listed == [made[4], made[3], made[2]]
    runtime_of(frozen).clock.advance(3600)
    assert run_prune(frozen, max_sends=None, max_age=200) == Pruned(3, 3, 3)
    assert counts(frozen) == (0, 0, 0)


def test_nothing_is_pruned_within_the_bounds_or_without_them(frozen: TestClient) -> None:
    make(frozen, 3)
    assert run_prune(frozen, max_sends=None, max_age=None) == Pruned()
    assert run_prune(frozen, max_sends=3, max_age=3600) == Pruned()
    assert counts(frozen) == (3, 3, 3)


def test_the_pruner_runs_every_tenth_of_the_bound_capped(tmp_path: Path) -> None:
    def every(**bounds: Any) -> int:
        settings = Settings(db=tmp_path / "x.db", **bounds)
        app = create_app(settings)
        try:
            return Pruner(app.state.runtime).every
        finally:
            app.state.runtime.close()

    assert every(max_sends=5) == 1
    assert every(max_sends=500) == 50
    assert every(max_sends=100_000) == 100
    assert every(max_age=60) == 100


def prune_events(client: TestClient) -> Generator[dict[str, Any], None, None]:
    """Prune events from the live stream; a keep-alive means nothing came, which fails."""
    with client.stream("GET", "/_emulator/events", params={"kinds": "prune"}) as response:
        lines = response.iter_lines()
        assert next(lines) == ": connected"
        yield {}
        for line in lines:
            assert line != ": keep-alive", "no prune happened"
            if line.startswith("data: "):
                yield orjson.loads(line.removeprefix("data: "))


@pytest.fixture
def bounded(
    tmp_path: Path, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch, request: Any
) -> Iterator[TestClient]:
    monkeypatch.setattr("emulator.routes.events.KEEPALIVE_SECONDS", 5.0)
    settings = Settings(db=tmp_path / "b.db", fixtures=fixtures_dir, **request.param)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize("bounded", [{"max_age": "1h"}], indirect=True)
def test_moving_the_clock_prunes_aged_sends_in_the_background(bounded: TestClient) -> None:
    runtime_of(bounded).clock.freeze(Clock().now())
    stream = prune_events(bounded)
    next(stream)
    post_send(bounded)
    post_send(bounded)
    assert runtime_of(bounded).dispatcher.wait_idle(30)  # 7 deliveries each, then prune
    runtime_of(bounded).clock.advance(2 * 3600)
    assert next(stream) == {"sends": 2, "deliveries": 14, "requests": 2}
    assert bounded.get("/_emulator/sends").json()["items"] == []
    stream.close()


@pytest.mark.parametrize("bounded", [{"max_sends": 3}], indirect=True)
def test_new_sends_beyond_max_sends_are_pruned_in_the_background(bounded: TestClient) -> None:
    stream = prune_events(bounded)
    next(stream)
    made = [post_send(bounded)["transactionId"] for _ in range(6)]
    pruned = 0
    while pruned < 3:
        pruned += next(stream)["sends"]
    assert pruned == 3
    listed = [i["transactionId"] for i in bounded.get("/_emulator/sends").json()["items"]]
    assert listed == made[:2:-1]
    stream.close()
