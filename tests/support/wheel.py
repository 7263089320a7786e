"""The package as a user gets it: a wheel built from the sources, in a fresh virtualenv."""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
# What the package is built from; the rest of the checkout must not be needed.
SOURCES = ("pyproject.toml", "README.md", "emulator")
INSTALL_TIMEOUT = 600  # from PyPI on a cold cache; a warm one takes seconds


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"


def _pip(python: Path, *args: str) -> None:
    subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", "--quiet", *args],
        check=True,
        timeout=INSTALL_TIMEOUT,
    )


def build_and_install(work: Path) -> Installed:
    """Copy the sources out of the checkout, build a wheel, install it (and pytest) into a
    new virtualenv; pip fetches the dependencies as it would for a user."""
    source = work / "src"
    source.mkdir()
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(path, source / name)
    _pip(Path(sys.executable), "wheel", "--no-deps", "--wheel-dir", str(work / "dist"), str(source))
    [wheel] = (work / "dist").glob("push_emulator-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    _pip(venv / "bin" / "python", "install", str(wheel), "pytest")
    return Installed(wheel, venv)
