"""The JavaScript client (clients/js): node's own test runner against real servers, its types
checked by TypeScript, and the package as npm packs it.

Without Node these are skipped with a line saying how to install it; in CI (`CI=true`) a
missing tool fails them instead, so the suite cannot pass by skipping.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.process

ROOT = Path(__file__).resolve().parent.parent.parent
PACKAGE = ROOT / "clients" / "js"
NODE_HINT = "the JavaScript client's tests need Node.js 18+: `sudo apt-get install -y nodejs npm`"
TSC_HINT = "the type check needs TypeScript: `npm ci --prefix clients/js`"


def _need(tool: str | None, hint: str) -> str:
    if tool is None:
        if os.environ.get("CI") == "true":
            pytest.fail(hint)
        pytest.skip(hint)
    return tool


def _emulator_program() -> str:
    # The push-emulator of this environment, as a user's PATH would find it after pip install.
    beside = Path(sys.executable).parent / "push-emulator"
    found = str(beside) if beside.exists() else shutil.which("push-emulator")
    assert found, "push-emulator is not installed in this environment: make install"
    return found


def _run(
    command: list[str], timeout: float, cwd: Path = PACKAGE
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PUSH_EMULATOR_BIN": _emulator_program()}
    # The client reads these as its defaults; the tests give their own servers' URLs.
    for name in ("PUSH_EMULATOR_URL", "EMULATOR_PORT", "EMULATOR_ADMIN_TOKEN"):
        env.pop(name, None)
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_client_passes_its_node_tests_against_real_servers() -> None:
    node = _need(shutil.which("node"), NODE_HINT)
    result = _run([node, "--test", "--test-concurrency=1", "test/"], timeout=300)
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-4000:]
    assert "# fail 0" in result.stdout
    passed = int(result.stdout.split("# pass ")[1].split()[0])
    assert passed >= 30, result.stdout[-2000:]


def test_the_declarations_type_check() -> None:
    node = _need(shutil.which("node"), NODE_HINT)
    tsc = PACKAGE / "node_modules" / "typescript" / "bin" / "tsc"
    _need(str(tsc) if tsc.exists() else None, TSC_HINT)
    result = _run([node, str(tsc), "-p", "."], timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr


def test_npm_packs_the_sources_and_declarations_only() -> None:
    npm = _need(shutil.which("npm"), NODE_HINT)
    result = _run([npm, "pack", "--dry-run", "--json"], timeout=120)
    assert result.returncode == 0, result.stderr
    [packed] = json.loads(result.stdout)
    files = {entry["path"] for entry in packed["files"]}
    assert {"package.json", "README.md", "src/index.js", "src/index.d.ts"} <= files
    assert {"src/generated.js", "src/generated.d.ts", "src/client.js", "src/start.js"} <= files
    assert not [f for f in files if f.startswith(("test/", "scripts/", "node_modules/"))]
    manifest = json.loads((PACKAGE / "package.json").read_text())
    assert "dependencies" not in manifest, "the client has no runtime dependencies"


def _readme_blocks() -> list[str]:
    section = (ROOT / "README.md").read_text().split("## Use from JavaScript/TypeScript", 1)[1]
    return re.findall(r"```js\n(.*?)```", section.split("\n## ", 1)[0], re.DOTALL)


SETUP_CHECK = """
import assert from "node:assert/strict";
import { setup, teardown } from "./push-emulator.setup.js";
await setup();
assert.match(process.env.DENGAGE_API_URL, /^http:\\/\\/127\\.0\\.0\\.1:\\d+\\/rest$/);
const ready = await fetch(`${process.env.PUSH_EMULATOR_URL}/readyz`);
assert.equal(ready.status, 200);
await teardown();
console.log("setup and teardown worked");
"""


def test_the_readme_recipes_work_as_written(tmp_path: Path) -> None:
    node = _need(shutil.which("node"), NODE_HINT)
    example, setup = _readme_blocks()
    # The package as `npm install ./clients/js` would make it importable.
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "push-emulator").symlink_to(PACKAGE)
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "readme.test.js").write_text(example)
    result = _run([node, "--test", "readme.test.js"], timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# pass 1" in result.stdout
    (tmp_path / "push-emulator.setup.js").write_text(setup)
    (tmp_path / "check.js").write_text(SETUP_CHECK)
    result = _run([node, "check.js"], timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "setup and teardown worked" in result.stdout
