"""JSON bodies: the one nesting limit every body is held to, and where it names the field."""

from typing import Any

import orjson
import pytest

from emulator.bodies import MAX_JSON_DEPTH, parse_json_body, too_deep
from emulator.errors import BadRequest


def nested(levels: int, leaf: Any = 1) -> Any:
    """`levels` objects and arrays inside each other, alternating, around `leaf`."""
    value = leaf
    for level in range(levels):
        value = {"a": value} if level % 2 else [value]
    return value


def problems(body: bytes) -> list[str]:
    with pytest.raises(BadRequest) as refused:
        parse_json_body(body)
    return refused.value.problems


def test_a_body_nested_to_the_limit_parses() -> None:
    body = orjson.dumps(nested(MAX_JSON_DEPTH))
    assert parse_json_body(body) == nested(MAX_JSON_DEPTH)


def test_one_level_more_is_a_400_naming_the_path_where_the_limit_is_passed() -> None:
    body = orjson.dumps({"content": {"customParams": nested(MAX_JSON_DEPTH - 1)}})
    [problem] = problems(body)
    path, rule = problem.split(": ", 1)
    assert rule == f"nests deeper than {MAX_JSON_DEPTH} levels of objects and arrays"
    assert path.startswith("content.customParams[0].a[0]")
    # It ends at the first container past the limit: 32 keys below the top-level object.
    assert path.count(".") + path.count("[") + 1 == MAX_JSON_DEPTH


def test_brackets_inside_strings_do_not_count() -> None:
    text = '[[[{{{"\\"]]]' * 50
    body = orjson.dumps({"content": {"title": text, "tags": [[text]] * 40}})
    assert parse_json_body(body)["content"]["title"] == text


def test_many_shallow_containers_are_not_deep() -> None:
    body = orjson.dumps([[i, {"k": [i]}] for i in range(20_000)])
    assert len(parse_json_body(body)) == 20_000


def test_nesting_past_what_orjson_takes_names_the_rule_too() -> None:
    [problem] = problems(b"[" * 5000 + b"]" * 5000)
    assert problem == f"body: nests deeper than {MAX_JSON_DEPTH} levels of objects and arrays"


def test_too_deep_walks_without_recursion_and_reports_the_first_path_in_order() -> None:
    value = {"shallow": [1], "deep": nested(MAX_JSON_DEPTH), "deeper": nested(500)}
    # Inside "deep" (level 2), objects and arrays alternate down to level 33, the first past.
    assert too_deep(value) == "deep" + ".a[0]" * 15 + ".a"
    assert too_deep("text") is None
    assert too_deep({"a": nested(MAX_JSON_DEPTH - 1)}) is None
