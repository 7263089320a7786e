"""The inspection filters are declared once: the API, the client and the CLI all read them."""

from fastapi.testclient import TestClient

from emulator.cli import build_parser
from emulator.client.keywords import query_params
from emulator.filters import PAGE_PARAMS, REQUEST_FILTERS, SEND_FILTERS
from emulator.storage.sends import SendFilters


def test_every_send_filter_narrows_the_sends_in_storage() -> None:
    # SendFilters.from_query reads the declaration; storage has a condition for each.
    values = {f.param: "2030-01-01T00:00:00Z" if f.kind == "time" else "x" for f in SEND_FILTERS}
    values["status"] = "queued"
    values["kind"] = "Transactional"
    parsed = SendFilters.from_query(values)
    assert set(parsed.values) == {f.param for f in SEND_FILTERS}
    assert parsed.status == "Queued"
    assert parsed.values["kind"] == "transactional"


def test_the_client_spells_every_filter_as_the_api_does() -> None:
    for groups in ((SEND_FILTERS, PAGE_PARAMS), (REQUEST_FILTERS, PAGE_PARAMS)):
        declared = [f for group in groups for f in group]
        keywords = {f.keyword: "v" for f in declared}
        assert set(query_params("sends", keywords, *groups)) == {f.param for f in declared}


def test_the_cli_has_a_flag_for_every_filter() -> None:
    parser = build_parser()
    for command, filters in (
        ("sends", SEND_FILTERS),
        ("export", SEND_FILTERS),
        ("requests", REQUEST_FILTERS),
    ):
        for f in filters:
            args = parser.parse_args([command, f.flag, "v"])
            assert getattr(args, f.keyword) == "v", (command, f.flag)


def test_the_api_docs_list_every_filter(client: TestClient) -> None:
    spec = client.get("/_emulator/openapi.json").json()["paths"]

    def names(path: str, method: str = "get") -> set[str]:
        return {p["name"] for p in spec[path][method].get("parameters", [])}

    sends = {f.param for f in SEND_FILTERS}
    assert sends | {"limit", "cursor"} <= names("/_emulator/sends")
    assert sends | {"count", "timeout"} <= names("/_emulator/sends/wait")
    assert sends <= names("/_emulator/export")
    assert {f.param for f in REQUEST_FILTERS} | {"limit", "cursor"} <= names("/_emulator/requests")
