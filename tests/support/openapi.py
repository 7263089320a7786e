"""Checking JSON against an OpenAPI document: its examples, and the answers a server gives."""

import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

JSON = "application/json"


def validate(document: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    """`value` against `schema`, whose `$ref`s point into the document's components."""
    rooted = {**schema, "components": document.get("components", {})}
    errors = sorted(Draft202012Validator(rooted).iter_errors(value), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:5])


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method.upper(), operation


def template_of(document: dict[str, Any], method: str, path: str) -> str:
    """The document's path template that `path` (a concrete URL path) falls under."""
    for template, methods in document["paths"].items():
        pattern = "^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template)) + "$"
        if method.lower() in methods and re.match(pattern, path):
            return str(template)
    raise AssertionError(f"{method} {path} is not in the document")


def check_answer(document: dict[str, Any], response: Any, prefix: str = "") -> str:
    """The (httpx) response against what the document says its operation answers with its
    status; returns the operation as "METHOD template"."""
    method, path = response.request.method, response.request.url.path.removeprefix(prefix)
    template = template_of(document, method, path)
    answers = document["paths"][template][method.lower()]["responses"]
    status = str(response.status_code)
    assert status in answers, f"{method} {template} answered {status}, which is not documented"
    content = answers[status]["content"]
    media_type = response.headers["content-type"].split(";")[0]
    assert media_type in content, f"{method} {template} {status} answered {media_type}"
    if media_type == JSON:
        validate(document, content[JSON]["schema"], response.json())
    return f"{method} {template}"
