"""JSON Schema validation of catalog documents.

Validation uses jsonschema-rs (a Rust implementation of draft 2020-12): it checks the 5,276-model
models.dev catalog in a few milliseconds where the pure-Python ``jsonschema`` takes most of a second.
Its errors are turned into :class:`PendingProblem` with messages that say what was expected.
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from typing import Any

import jsonschema_rs

from freegin_gitops.core.problems import JsonPath, PendingProblem
from freegin_gitops.errors import FileError
from freegin_gitops.resources import schema_path

KINDS = ("provider", "suggestions", "workloads", "config", "recommendations", "compiled")


@cache
def load_schema(kind: str) -> dict[str, Any]:
    path = schema_path(kind)
    try:
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise FileError(f"the schema {path} cannot be read: {exc}") from exc
    return schema


@cache
def _validator(kind: str) -> Any:
    return jsonschema_rs.validator_for(load_schema(kind))


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


def _allowed_keys(schema: dict[str, Any], path: JsonPath) -> list[str]:
    """The property names the schema allows at ``path`` (best effort, for suggestions)."""
    node: Any = schema
    for part in path:
        node = _resolve(schema, node)
        if isinstance(part, int):
            node = node.get("items", {})
        else:
            props = node.get("properties", {})
            node = props[part] if part in props else node.get("additionalProperties", {})
    node = _resolve(schema, node)
    return sorted(node.get("properties", {})) if isinstance(node, dict) else []


def _resolve(schema: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = schema
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _message(kind_name: str, detail: dict[str, Any], instance: Any, default: str) -> str:
    if kind_name == "enum":
        options = detail.get("options", [])
        text = f"{_short(instance)} is not one of {', '.join(map(str, options))}"
        close = difflib.get_close_matches(str(instance), [str(o) for o in options], n=1)
        return f"{text}; did you mean {close[0]!r}?" if close else text
    if kind_name == "type":
        wanted = " or ".join(_TYPE_WORDS.get(t, t) for t in detail.get("types", []))
        return f"expected {wanted}, got {_type_name(instance)} ({_short(instance)})"
    if kind_name == "required":
        return f"the required key {detail.get('property')!r} is missing"
    if kind_name == "pattern":
        return f"{_short(instance)} does not match the pattern {detail.get('pattern')}"
    if kind_name == "uniqueItems":
        return f"the list {_short(instance)} has repeated items"
    if kind_name == "minItems":
        return f"the list must have at least {detail.get('limit')} item(s)"
    return default


def check(kind: str, data: Any, file: str) -> list[PendingProblem]:
    """Validate ``data`` against the schema of ``kind``; every problem, in document order."""
    validator = _validator(kind)
    if validator.is_valid(data):
        return []
    schema = load_schema(kind)
    problems: list[PendingProblem] = []
    for error in validator.iter_errors(data):
        path: JsonPath = tuple(error.instance_path)
        kind_name = error.kind.name
        detail = error.kind.as_dict()
        if kind_name == "additionalProperties":
            allowed = _allowed_keys(schema, path)
            for key in detail.get("unexpected", []):
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(allowed)})"
                problems.append(PendingProblem(file, path, f"unknown key {key!r}{hint}", key=key))
            continue
        if kind_name == "propertyNames":
            problems.append(PendingProblem(file, path, f"invalid key: {error.message}"))
            continue
        problems.append(
            PendingProblem(file, path, _message(kind_name, detail, error.instance, error.message))
        )
    return problems
