"""`push-emulator faults` and `push-emulator clock` against a running server."""

from pathlib import Path

import orjson
import pytest

from emulator.cli import main
from emulator.testing import RunningEmulator
from tests.support.cli import run

RULE = '{"name": "down", "action": {"type": "status", "status": 503}}'


def test_faults_add_list_remove_and_clear(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ["--url", emulator.url]
    assert run(capsys, "faults", *url).strip() == "No fault rules are in force."
    added = orjson.loads(run(capsys, "faults", *url, "--json", "add", RULE))
    [state] = added
    listing = run(capsys, "faults", *url).splitlines()
    assert listing[0].split() == [
        "ID",
        "NAME",
        "MATCH",
        "ACTION",
        "TRIGGER",
        "FIRED",
        "LEFT",
        "ACTIVE",
    ]
    assert listing[1].split()[:2] == [str(state["id"]), "down"]
    assert "type=status status=503" in listing[1]
    run(capsys, "faults", *url, "remove", str(state["id"]))
    assert emulator.client.faults.list() == []
    run(capsys, "faults", *url, "set", f"[{RULE}, {RULE}]")
    assert len(emulator.client.faults.list()) == 2
    run(capsys, "faults", *url, "clear")
    assert emulator.client.faults.list() == []


def test_faults_set_reads_a_file(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "rules.json"
    path.write_text(f"[{RULE}]")
    run(capsys, "faults", "--url", emulator.url, "set", str(path))
    assert [s["rule"]["name"] for s in emulator.client.faults.list()] == ["down"]


def test_a_bad_rule_is_one_line_naming_the_field(emulator: RunningEmulator) -> None:
    bad = '{"action": {"type": "status", "status": 418}}'
    with pytest.raises(SystemExit, match=r"answered HTTP 400: action\.status: must be one of"):
        main(["faults", "--url", emulator.url, "add", bad])


def test_clock_freeze_advance_offset_and_real(
    emulator: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    url = ["--url", emulator.url]
    out = run(capsys, "clock", *url, "freeze", "2030-01-01T00:00:00Z")
    assert out.strip() == "frozen: 2030-01-01T00:00:00+00:00"
    assert (
        run(capsys, "clock", *url, "advance", "90m").strip() == "frozen: 2030-01-01T01:30:00+00:00"
    )
    assert run(capsys, "clock", *url).strip().startswith("frozen: 2030-01-01T01:30:00")
    assert "(offset -1800 s)" in run(capsys, "clock", *url, "offset", "--", "-30m")
    state = orjson.loads(run(capsys, "clock", *url, "--json", "real"))
    assert state["mode"] == "real"


def test_a_bad_duration_is_a_usage_error(emulator: RunningEmulator) -> None:
    with pytest.raises(SystemExit) as usage:
        main(["clock", "--url", emulator.url, "advance", "soon"])
    assert usage.value.code == 2
