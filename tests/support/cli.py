"""Running `push-emulator` commands in-process, as `main` would from a shell."""

import pytest

from emulator.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> str:
    """The command's standard output, once it exited with `code`."""
    assert main(list(argv)) == code
    return capsys.readouterr().out
