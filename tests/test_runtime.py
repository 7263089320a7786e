"""The runtime owns all run-time state: nothing in module globals, nothing frozen in-process."""

import gc
from pathlib import Path

from fastapi.testclient import TestClient

from emulator.app import create_app
from emulator.runtime import Runtime
from emulator.settings import Settings


def test_serving_in_process_freezes_nothing(settings: Settings) -> None:
    # gc.freeze() belongs to the `serve` process; a user's pytest session must not get it.
    before = gc.get_freeze_count()
    with TestClient(create_app(settings)):
        pass
    assert gc.get_freeze_count() == before


def test_two_runtimes_share_no_state(tmp_path: Path, settings: Settings) -> None:
    other = settings.model_copy(update={"db": tmp_path / "other.db"})
    first, second = Runtime.start(settings), Runtime.start(other)
    try:
        first.clock.advance(3600)
        first.tokens.issue("demo-user")
        assert second.clock.mode == "real"
        assert first.audiences is not second.audiences
        assert first.audiences.of(first.fixtures) is not second.audiences.of(second.fixtures)
    finally:
        first.close()
        second.close()


def test_every_component_resets_through_the_hook_list(runtime: Runtime) -> None:
    runtime.clock.advance(3600)
    runtime.ids.reseed(7)
    issued = runtime.tokens.issue("demo-user")
    runtime.faults.replace([])
    runtime.limiter.take("demo-user")
    runtime.reset_state()
    assert runtime.clock.mode == "real"
    assert runtime.ids.seed is None
    assert runtime.tokens.lookup(issued.token) is None
