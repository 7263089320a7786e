"""OpenAPI building blocks both documents share: model schemas, checked examples, the envelope."""

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
    """A documented answer: nothing it leaves out may appear, so its examples are exact."""

    model_config = ConfigDict(extra="forbid")


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


def schema_of(kind: Any, mode: SchemaMode = "serialization") -> dict[str, Any]:
    """The JSON schema of a model or type. Models become `$ref`s; the schemas they name ride
    along in `$defs`, which `finish` moves into the document's components."""
    schema = TypeAdapter(kind).json_schema(ref_template=REF, mode=mode)
    defs: dict[str, Any] = schema.pop("$defs", {})
    named = is_typeddict(kind) or (isinstance(kind, type) and issubclass(kind, BaseModel))
    if named and "$ref" not in schema:
        defs[kind.__name__] = schema
        schema = {"$ref": REF.format(model=kind.__name__)}
    return {**schema, "$defs": defs} if defs else schema


def checked(kind: Any, example: Any) -> Any:
    """`example`, once it has passed the model it illustrates (as JSON, as a client sends it):
    an example that drifts from its model fails at import, not in a user's generated client."""
    TypeAdapter(kind).validate_json(orjson.dumps(example))
    return example


def answer(kind: Any, example: Any, description: str) -> dict[str, Any]:
    """One documented JSON response: its schema and a checked example."""
    example = _keep_nulls(checked(kind, example))
    return {
        "description": description,
        "content": {JSON: {"schema": schema_of(kind), "example": example}},
    }


def ndjson_answer(kind: Any, examples: list[Any], description: str) -> dict[str, Any]:
    """A streamed response of one JSON value per line; each line is described by
    `itemSchema`, as OpenAPI 3.2 describes sequential media types."""
    lines = "".join(orjson.dumps(checked(kind, example)).decode() + "\n" for example in examples)
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
                "example": _keep_nulls(checked(kind, example)),
            }
        },
    }
    if description:
        body["description"] = description
    return {"requestBody": body}


def _hoist(node: Any, found: dict[str, Any]) -> None:
    if isinstance(node, dict):
        for name, schema in node.pop("$defs", {}).items():
            _hoist(schema, found)
            if name in found and found[name] != schema:
                raise ValueError(f"two different schemas are both named {name!r}")
            found[name] = schema
        for value in node.values():
            _hoist(value, found)
    elif isinstance(node, list):
        for value in node:
            _hoist(value, found)


def finish(document: dict[str, Any]) -> dict[str, Any]:
    """Move every `$defs` into components, and drop FastAPI's 422s: this app answers a bad
    parameter with a 400 in the envelope (each route documents it), never a 422."""
    document = _swap(document, _NULL, None)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            operation.get("responses", {}).pop("422", None)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    found: dict[str, Any] = {}
    _hoist(document, found)
    for name, schema in found.items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"two different schemas are both named {name!r}")
        schemas[name] = schema
    return document
