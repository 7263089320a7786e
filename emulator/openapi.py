"""OpenAPI building blocks both documents share: model schemas, examples, the envelope."""

import types
import typing
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, TypeAdapter
from typing_extensions import is_typeddict

REF = "#/components/schemas/{model}"
JSON = "application/json"
NDJSON = "application/x-ndjson"
EVENT_STREAM = "text/event-stream"

SchemaMode = Literal["validation", "serialization"]
# A route's documented answers by status, as FastAPI's `responses=` takes them.
Responses = dict[int | str, dict[str, Any]]


class Shape(BaseModel):
    """A documented answer: nothing it leaves out may appear, so its examples are exact.
    Built when a document first needs it, not at import."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class ErrorBody(Shape):
    """The contract's error envelope; 400s list every problem, one line each."""

    code: int
    message: str
    errors: list[str] | None = None


# FastAPI drops every null from the document it generates, examples included; examples carry
# this stand-in instead, and `finish` turns it back into null.
_NULL = "\u0000null"


def _swap(value: Any, old: Any, new: Any) -> Any:
    """`value` with every `old` leaf (compared with `is`, or equal for text) made `new`."""
    if value is old or (isinstance(old, str) and value == old):
        return new
    if isinstance(value, dict):
        return {key: _swap(item, old, new) for key, item in value.items()}
    if isinstance(value, list):
        return [_swap(item, old, new) for item in value]
    return value


def _keep_nulls(value: Any) -> Any:
    return _swap(value, None, _NULL)


# Every model and TypedDict the routes name, by name. Their schemas are generated when a
# document is first built (`finish`), not at import: serving starts without paying for docs.
_NAMED: dict[str, tuple[Any, SchemaMode]] = {}


def _is_named(kind: Any) -> bool:
    return is_typeddict(kind) or (isinstance(kind, type) and issubclass(kind, BaseModel))


def schema_of(kind: Any, mode: SchemaMode = "serialization") -> dict[str, Any]:
    """The JSON schema of a type; a model or TypedDict is a `$ref` that `finish` fills in."""
    origin = typing.get_origin(kind)
    if kind is None or kind is type(None):
        return {"type": "null"}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [schema_of(part, mode) for part in typing.get_args(kind)]}
    if origin is list:
        return {"type": "array", "items": schema_of(typing.get_args(kind)[0], mode)}
    if _is_named(kind):
        known, _mode = _NAMED.setdefault(kind.__name__, (kind, mode))
        if known is not kind:
            raise ValueError(f"two different types are both named {kind.__name__!r}")
        return {"$ref": REF.format(model=kind.__name__)}
    return TypeAdapter(kind).json_schema(ref_template=REF, mode=mode)


def answer(kind: Any, example: Any, description: str) -> dict[str, Any]:
    """One documented JSON response: its schema and an example (tests/routes/test_docs.py
    checks every example against its schema)."""
    return {
        "description": description,
        "content": {JSON: {"schema": schema_of(kind), "example": _keep_nulls(example)}},
    }


def ndjson_answer(kind: Any, examples: list[Any], description: str) -> dict[str, Any]:
    """A streamed response of one JSON value per line; each line is described by
    `itemSchema`, as OpenAPI 3.2 describes sequential media types."""
    lines = "".join(orjson.dumps(example).decode() + "\n" for example in examples)
    return {
        "description": description,
        "content": {
            NDJSON: {"schema": {"type": "string"}, "itemSchema": schema_of(kind), "example": lines}
        },
    }


def error(status: int, message: str, description: str) -> Responses:
    """An error status in the envelope, e.g. error(404, "No send ...", "no such send")."""
    body: dict[str, Any] = {"code": status, "message": message}
    if status == 400:
        body["errors"] = [message]
    return {str(status): answer(ErrorBody, body, description)}


def json_body(
    kind: Any, example: Any, description: str = "", required: bool = True
) -> dict[str, Any]:
    """`openapi_extra` for a route that reads and validates its JSON body itself."""
    body: dict[str, Any] = {
        "required": required,
        "content": {
            JSON: {
                "schema": schema_of(kind, "validation"),
                "example": _keep_nulls(example),
            }
        },
    }
    if description:
        body["description"] = description
    return {"requestBody": body}


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(REF.format(model="")):
            found.add(ref.rsplit("/", 1)[1])
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _add(schemas: dict[str, Any], name: str, schema: dict[str, Any]) -> None:
    if name in schemas and schemas[name] != schema:
        raise ValueError(f"two different schemas are both named {name!r}")
    schemas[name] = schema


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """Generate the schema of every model the document names into its components, and drop
    FastAPI's 422s: this app answers a bad parameter with a 400 in the envelope (each route
    documents it), never a 422."""
    document = _swap(document, _NULL, None)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    named: set[str] = set()
    _refs(document, named)
    for name in sorted(named & set(_NAMED)):
        kind, mode = _NAMED[name]
        schema = TypeAdapter(kind).json_schema(ref_template=REF, mode=mode)
        for nested, nested_schema in schema.pop("$defs", {}).items():
            _add(schemas, nested, nested_schema)
        _add(schemas, name, schema)
    return document
