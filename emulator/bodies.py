"""Request bodies as JSON and as models: every problem a 400 naming the field and the rule."""

import re
from pathlib import Path
from typing import Any, TypeVar

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from emulator.errors import BadRequest

M = TypeVar("M", bound=BaseModel)

# A body can break a rule a hundred thousand times; the first few say enough.
MAX_PROBLEMS = 20

# Pydantic's error types, said as the contract's rules (the rest keep pydantic's words).
_RULES = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "string_type": "must be a string",
    "bool_type": "must be a boolean",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "list_type": "must be an array",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be above {gt}",
    "literal_error": "must be one of {expected}",
    "union_tag_invalid": "has the wrong type",
}
# A model-level check that names its one field first: 'status: is required for ...'.
_NAMED = re.compile(r"^([A-Za-z]+): (.+)$")

# One nesting limit for every JSON body the emulator takes, checked as it is parsed. Far above
# any real push, and far below what every reader handles once a stored body is wrapped in an
# answer (orjson writes at most 254 levels; Python's recursion stops near 1000): deeper
# bodies were accepted once, and then every page that showed them was a 500.
MAX_JSON_DEPTH = 32


def parse_json_body(body: bytes) -> Any:
    """JSON or a 400: invalid UTF-8 (orjson refuses it) or nesting past MAX_JSON_DEPTH."""
    if not body.strip():
        raise BadRequest(["body: is required (a JSON object)"])
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if str(error).startswith("depth limit"):  # orjson's own cap, at 1024 levels
            raise BadRequest([deeper_than("body")]) from None
        raise BadRequest([f"body: must be valid JSON in UTF-8 ({error})"]) from None
    if _nests_past(body, MAX_JSON_DEPTH):
        check_depth(data)
    return data


# A JSON string, escapes included; and what is left of a body once they are gone.
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")
_NOT_BRACKETS = bytes(range(256)).translate(None, b"[]{}")


def _nests_past(body: bytes, limit: int) -> bool:
    """Whether valid JSON `body` nests past `limit`, at the regex engine's speed: with the
    strings cut out, only brackets are kept, and each pass removes the innermost pairs.
    Walking the decoded value instead cost ~3x orjson's parse on a body of many arrays."""
    if body.count(b"{") + body.count(b"[") <= limit:
        return False  # too few brackets to nest that far: every small send
    brackets = _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = _EMPTY_PAIR.sub(b"", brackets)
    return bool(brackets)


def too_deep(value: Any, limit: int = MAX_JSON_DEPTH) -> str | None:
    """The path of the first object or array nested past `limit` levels, or None.

    Iterative, so it cannot itself run out of stack; paths are built only for the answer.
    """
    if not isinstance(value, dict | list):
        return None
    # (node, depth, trail): trail is (key, parent trail), a linked list of the keys so far.
    stack: list[tuple[Any, int, Any]] = [(value, 1, None)]
    while stack:
        node, depth, trail = stack.pop()
        if depth > limit:
            return _trail_path(trail)
        children = node.items() if isinstance(node, dict) else enumerate(node)
        found = [(v, depth + 1, (k, trail)) for k, v in children if isinstance(v, dict | list)]
        stack.extend(reversed(found))  # depth first, in document order
    return None


def check_depth(value: Any, prefix: str = "") -> None:
    """A 400 naming where `value` nests past MAX_JSON_DEPTH levels of objects and arrays."""
    path = too_deep(value)
    if path is not None:
        raise BadRequest([deeper_than(f"{prefix}.{path}" if prefix and path else prefix or path)])


def deeper_than(where: str) -> str:
    """The rule a body nested too deep breaks, at `where` (a field path)."""
    return f"{where or 'body'}: nests deeper than {MAX_JSON_DEPTH} levels of objects and arrays"


def _trail_path(trail: Any) -> str:
    parts: list[str] = []
    while trail is not None:
        key, trail = trail
        parts.append(f"[{key}]" if isinstance(key, int) else f".{key}")
    return "".join(reversed(parts)).removeprefix(".")


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as a field path: multiLangContent.contents[0].language."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in {"function-after", "list[any]", "dict[str,any]"} or "[" in str(part):
            continue  # pydantic's union branch labels, not fields
        else:
            path += f".{part}" if path else str(part)
    return path


def describe_errors(
    error: ValidationError, prefix: str = "", name_fields: bool = False
) -> list[str]:
    """One 'field: rule' line per problem, deduplicated, in pydantic's order, capped.

    With `name_fields`, a model-level message that starts with a field name ('status: is
    required ...') is filed under that field, as the fault rules' 400s are.
    """
    lines: dict[str, None] = {}
    items = error.errors(include_url=False)
    for item in items:
        path = field_path(tuple(item["loc"]))
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        if item["type"] in {"value_error", "assertion_error"}:
            rule = str(item["msg"]).removeprefix("Value error, ")
            if name_fields and (named := _NAMED.match(rule)) is not None:
                path, rule = f"{path}.{named.group(1)}", named.group(2)
        else:
            template = _RULES.get(item["type"])
            rule = template.format(**(item.get("ctx") or {})) if template else str(item["msg"])
        lines[f"{path}: {rule}" if path else rule] = None
        if len(lines) == MAX_PROBLEMS:
            break
    found = list(lines)
    if len(items) > len(found) and len(found) == MAX_PROBLEMS:
        found.append(f"... and {len(items) - MAX_PROBLEMS} more problems")
    return found


def validate(model: type[M], data: Any) -> M:
    """Decoded JSON as `model`, or a 400 listing every broken rule."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise BadRequest(describe_errors(error)) from None


def validate_json(model: type[M], body: bytes) -> M:
    """A raw body as `model`: a missing or broken body is a 400 first, then the rules.

    Validated from the JSON text, not the decoded value, so strict models take JSON's own
    spellings (an ISO date string for a datetime field)."""
    parse_json_body(body)
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        raise BadRequest(describe_errors(error)) from None


class RuleError(ValueError):
    """Rules that cannot be used (fault rules, webhooks); `problems` name each field."""

    what = "rules"  # the file's name in a message: "faults file x.json: ..."
    noun = "rules"  # what the array holds: "body: must be an array of fault rules"

    def __init__(self, problems: list[str], source: str = "") -> None:
        self.problems = problems
        prefix = f"{self.what} file {source}: " if source else ""
        super().__init__(prefix + "; ".join(problems))


def parse_rule_list(
    data: Any,
    adapter: TypeAdapter[list[M]],
    error: type[RuleError],
    max_rules: int,
    source: str = "",
) -> list[M]:
    """A JSON array of rules, or `error` naming each bad field ('[0].action.status: ...')."""
    if not isinstance(data, list):
        raise error([f"body: must be an array of {error.noun}"], source)
    if len(data) > max_rules:
        raise error([f"body: at most {max_rules} {error.noun}"], source)
    try:
        return adapter.validate_python(data)
    except ValidationError as invalid:
        raise error(describe_errors(invalid, name_fields=True), source) from None


def read_rule_file(path: Path, error: type[RuleError]) -> Any:
    """The decoded JSON of a rules file (EMULATOR_FAULTS, EMULATOR_WEBHOOKS), or `error`."""
    try:
        return orjson.loads(path.read_bytes())
    except OSError as failure:
        raise error([f"cannot be read ({failure.strerror})"], str(path)) from None
    except orjson.JSONDecodeError as failure:
        raise error([f"is not valid JSON ({failure})"], str(path)) from None
