"""The README tells the truth: its settings table matches the settings, its curl examples work."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from emulator.settings import Settings
from tests.support.server import serving

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def config_rows() -> dict[str, list[str]]:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if cells and cells[0].startswith("EMULATOR_"):
            rows[cells[0]] = cells
    return rows


def test_the_configuration_table_lists_every_setting_once_with_its_flag_and_default() -> None:
    rows = config_rows()
    assert sorted(rows) == sorted(f"EMULATOR_{name.upper()}" for name in Settings.model_fields)
    for name, info in Settings.model_fields.items():
        _variable, flag, default, meaning = rows[f"EMULATOR_{name.upper()}"]
        assert flag.startswith("--" + name.replace("_", "-"))
        expected = info.default
        if expected is None:
            assert default == "unset"
        elif isinstance(expected, bool):
            assert default == str(expected).lower()
        elif isinstance(expected, str):
            assert default == expected
        elif isinstance(expected, Path):
            assert default.endswith(("emulator.db", "emulator/demo_account"))
        else:
            assert float(default) == float(expected)
        assert meaning


def curl_block() -> str:
    """The shell block of the 'Point your client at it' section, as a user would paste it."""
    section = README.split("## Point your client at it", 1)[1].split("\n## ", 1)[0]
    [block] = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    return str(block)


@pytest.mark.process
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_curl_examples_work_as_pasted(tmp_path: Path) -> None:
    block = curl_block()
    assert block.count("curl ") == 6
    with serving(tmp_path) as url:
        output = subprocess.run(
            ["bash", "-e", "-c", block.replace("http://127.0.0.1:8080", url)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    # curl -s prints each answer without a newline: the six bodies follow one another.
    bodies = [json.loads(b) for b in re.split(r"(?<=\})(?=\{)", output.strip())]
    assert len(bodies) == 6
    login, segment_send, template_send, refused, transactional, no_device = bodies
    assert "access_token" in login
    assert segment_send["message"] == template_send["message"] == "Successful"
    assert refused["code"] == 400
    assert "applicationIds[0]: must be a GUID" in refused["message"]
    assert (transactional["code"], transactional["message"]) == (0, "Successful")
    assert len(transactional["data"]["trackingIds"]) == 2  # c-001 has two active devices
    assert (no_device["code"], no_device["message"]) == (
        11,
        "Token not found with given ContactKey",
    )
