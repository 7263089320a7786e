"""Hostile input, kept: the corpus of files and generated cases never get a 5xx, and the
server stays alive. (A real server under the worst of them: test_connections.py and
bench/reliability.py.)"""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.app import create_app
from emulator.filters import REQUEST_FILTERS, SEND_FILTERS
from emulator.settings import Settings
from tests.support.demo import DEMO
from tests.support.server import serving

CORPUS = Path(__file__).resolve().parent / "corpus"
FILES = sorted(CORPUS.glob("*.http"))
HEADERS = {**DEMO, "Content-Type": "application/json"}
# The inputs that cost the fan-out most: the quadratic scan's worst, and the most tags.
WORST = ["title_of_unclosed_tags_200kb", "title_of_empty_tags_400kb", "message_of_unpaired_ifs"]


def read_request(path: Path) -> tuple[str, str, bytes]:
    """A corpus file: 'METHOD /path?query', a blank line, the body as sent."""
    head, _, body = path.read_bytes().partition(b"\n\n")
    method, target = head.decode().split(" ", 1)
    return method, target, body


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app for every case of a module: the cases pile up on it, as on a long-lived stack."""
    folder = tmp_path_factory.mktemp("fuzz")
    with TestClient(create_app(Settings(db=folder / "e.db")), raise_server_exceptions=False) as c:
        yield c
        # After everything: the server still answers, and still takes a send.
        assert c.get("/livez").status_code == 200
        assert c.get("/readyz").status_code == 200
        sent = c.post("/rest/push/sendInstant", json={"content": {"title": "Hi"}}, headers=DEMO)
        assert sent.status_code == 200


def check(response: Any) -> None:
    """No 5xx, and every refusal in the contract's envelope."""
    assert response.status_code < 500, response.text[:500]
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        body = orjson.loads(response.content)
        assert body["code"] == response.status_code
        assert isinstance(body["message"], str)


def test_the_corpus_has_files() -> None:
    assert len(FILES) >= 50


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_corpus_request_gets_a_5xx(fuzzed: TestClient, path: Path) -> None:
    method, target, body = read_request(path)
    check(fuzzed.request(method, target, content=body, headers=HEADERS))
    # Whatever it stored, every reader still shows it.
    for reader in ("/_emulator/sends", "/_emulator/requests", "/_emulator/ui/"):
        check(fuzzed.get(reader))
    check(fuzzed.get("/_emulator/sends/wait", params={"timeout": "0"}))
    fuzzed.put("/_emulator/clock", json={"mode": "real"})


# Generated cases for /_emulator: the filters, paging and bodies of every control route.

_EDGE = st.sampled_from(
    ["", "²", "١", "-1", "0", "nan", "1e999", "9" * 40, "\x00", "x\n", "0001-01-01", "4xx"]
)
_VALUES = st.one_of(_EDGE, st.text(max_size=40))
_PARAMS = [f.param for f in (*SEND_FILTERS, *REQUEST_FILTERS)] + ["limit", "cursor", "count"]
_QUERY = st.dictionaries(st.sampled_from(_PARAMS) | st.text(max_size=8), _VALUES, max_size=5)
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
_KNOWN = st.fixed_dictionaries(
    {},
    optional={
        "mode": st.sampled_from(["real", "frozen", "offset", "x"]) | _JSON,
        "at": _EDGE | st.datetimes().map(lambda d: d.isoformat()) | _JSON,
        "offsetSeconds": st.floats(allow_nan=False, allow_infinity=False) | _JSON,
        "seconds": st.floats(allow_nan=False, allow_infinity=False) | _JSON,
        "seed": st.integers() | _JSON,
        "default": _JSON,
        "users": _JSON,
    },
)
_FAULT = st.fixed_dictionaries(
    {},
    optional={
        "name": _JSON,
        "match": st.fixed_dictionaries(
            {}, optional={"path": _VALUES | _JSON, "method": _JSON, "applicationId": _VALUES}
        ),
        "action": st.fixed_dictionaries(
            {"type": st.sampled_from(["status", "latency", "drop", "malformed"]) | _JSON},
            optional={"status": _JSON, "ms": _JSON, "message": _JSON},
        ),
        "trigger": st.fixed_dictionaries(
            {}, optional={"times": _JSON, "seed": st.integers(), "ttlSeconds": _JSON}
        ),
    },
)
_FUZZ = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@_FUZZ
@given(
    path=st.sampled_from(["/_emulator/sends", "/_emulator/requests", "/_emulator/export"]),
    query=_QUERY,
)
def test_no_generated_query_gets_a_5xx(
    fuzzed: TestClient, path: str, query: dict[str, str]
) -> None:
    check(fuzzed.get(path, params=query))


@_FUZZ
@given(query=_QUERY)
def test_no_generated_wait_gets_a_5xx(fuzzed: TestClient, query: dict[str, str]) -> None:
    check(fuzzed.get("/_emulator/sends/wait", params={**query, "timeout": "0"}))


@_FUZZ
@given(
    route=st.sampled_from(
        [
            ("PUT", "/_emulator/clock"),
            ("POST", "/_emulator/clock/advance"),
            ("PUT", "/_emulator/seed"),
            ("PUT", "/_emulator/rate-limits"),
        ]
    ),
    body=_KNOWN | _JSON,
)
def test_no_generated_control_body_gets_a_5xx(
    fuzzed: TestClient, route: tuple[str, str], body: Any
) -> None:
    method, path = route
    check(fuzzed.request(method, path, json=body))
    # Whatever was set, the emulated API and the readers still answer.
    check(fuzzed.post("/rest/login", json={"userkey": "demo-user", "password": "demo-password"}))
    check(fuzzed.get("/_emulator/clock"))
    check(fuzzed.get("/_emulator/seed"))
    fuzzed.put("/_emulator/clock", json={"mode": "real"})


@_FUZZ
@given(rules=st.lists(_FAULT, max_size=3) | _JSON)
def test_no_generated_fault_rules_get_a_5xx(fuzzed: TestClient, rules: Any) -> None:
    check(fuzzed.put("/_emulator/faults", json=rules))
    check(fuzzed.get("/_emulator/faults"))
    fuzzed.delete("/_emulator/faults")


@pytest.mark.process
def test_livez_answers_promptly_while_the_worst_corpus_input_is_fanned_out(
    tmp_path: Path,
) -> None:
    """The probe's freeze: 40 KB of "{%" held the GIL for 8.5 s, /livez included."""
    worst = [CORPUS / f"{name}.http" for name in WORST]
    with serving(tmp_path) as url, httpx.Client(base_url=url, timeout=30) as http:
        for path in worst * 3:
            method, target, body = read_request(path)
            assert http.request(method, target, content=body, headers=HEADERS).status_code == 200
        slowest, polls = 0.0, 0
        total = len(worst) * 3
        while (
            len(http.get("/_emulator/sends", params={"status": "Completed"}).json()["items"])
            < total
        ):
            started = time.perf_counter()
            assert http.get("/livez", timeout=10).status_code == 200
            slowest, polls = max(slowest, time.perf_counter() - started), polls + 1
        assert polls > 0, "the fan-out ended before /livez was asked"
        # Generous for a loaded machine; the freeze it replaces was 8.5 s and more.
        assert slowest < 2.0, f"/livez took {slowest:.2f} s during the fan-out"
