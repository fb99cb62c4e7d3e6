"""The JSON Schemas under schemas/: well-formed, strict, documented, and agreeing with the
reference Python implementation on the starter catalog and the invalid examples."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from freegin_gitops.adapters import schema_check, yaml_read
from freegin_gitops.core.layout import kind_of
from tests.helpers import SCHEMAS, STARTER_CATALOG, Example, invalid_examples

SCHEMA_FILES = sorted(SCHEMAS.glob("*.schema.json"))
STARTER_FILES = sorted(STARTER_CATALOG.rglob("*.yaml"))


def _starter_id(path: Path) -> str:
    return path.relative_to(STARTER_CATALOG).as_posix()


# Examples whose fault a JSON Schema can see (the others are YAML or cross-file faults).
SCHEMA_FAULTS = {
    "provider-unknown-key-typo",
    "provider-bad-enum",
    "provider-retired-without-date",
    "provider-deprecated-without-date",
    "provider-wrong-type",
    "provider-top-level-list",
    "workloads-missing-code",
}


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def _subschemas(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object inside ``node`` with its JSON pointer."""
    if not isinstance(node, dict):
        return
    yield where, node
    for keyword in ("properties", "$defs", "patternProperties"):
        for name, child in node.get(keyword, {}).items():
            yield from _subschemas(child, f"{where}/{keyword}/{name}")
    # "if" is a condition, not a definition: it must not refuse keys the object allows.
    for keyword in ("items", "additionalProperties", "propertyNames", "then", "else", "not"):
        yield from _subschemas(node.get(keyword), f"{where}/{keyword}")
    for keyword in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for i, child in enumerate(node.get(keyword, [])):
            yield from _subschemas(child, f"{where}/{keyword}/{i}")


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node and node["$ref"].startswith("#/"):
        target: Any = root
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _is_object_schema(node: dict[str, Any]) -> bool:
    kind = node.get("type")
    return kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in node


@pytest.fixture(params=SCHEMA_FILES, ids=lambda p: p.name)
def schema(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _load(request.param)


def test_every_file_kind_has_a_schema() -> None:
    assert {p.name.removesuffix(".schema.json") for p in SCHEMA_FILES} == set(schema_check.KINDS)


def test_schema_is_valid_draft_2020_12(schema: dict[str, Any]) -> None:
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_has_an_id_naming_its_file(path: Path) -> None:
    schema_id = _load(path)["$id"]
    assert (schema_id.startswith("https://"), schema_id.rsplit("/", 1)[-1]) == (True, path.name)


def test_every_object_refuses_unknown_keys(schema: dict[str, Any]) -> None:
    """An object either lists its keys (additionalProperties: false) or is a map whose values have
    a schema of their own; none takes any key with any value."""
    open_objects = [
        where
        for where, node in _subschemas(schema)
        if _is_object_schema(node)
        and "additionalProperties" not in node
        and node.get("unevaluatedProperties") is not False
    ]
    assert open_objects == []


def test_every_property_has_a_description(schema: dict[str, Any]) -> None:
    undocumented = [
        f"{where}/properties/{name}"
        for where, node in _subschemas(schema)
        for name, prop in node.get("properties", {}).items()
        if not _resolve(schema, prop).get("description")
    ]
    assert undocumented == []


@pytest.mark.parametrize("path", STARTER_FILES, ids=_starter_id)
def test_starter_file_is_valid_per_python_jsonschema(path: Path) -> None:
    kind = kind_of(path.relative_to(STARTER_CATALOG.parent).as_posix())
    assert kind is not None
    data = yaml_read.parse_bytes(path.read_bytes())
    jsonschema.Draft202012Validator(_load(SCHEMAS / f"{kind}.schema.json")).validate(data)


@pytest.mark.parametrize("path", STARTER_FILES, ids=_starter_id)
def test_starter_file_is_valid_per_our_checker(path: Path) -> None:
    rel = path.relative_to(STARTER_CATALOG.parent).as_posix()
    kind = kind_of(rel)
    assert kind is not None
    assert schema_check.check(kind, yaml_read.parse_bytes(path.read_bytes()), rel) == []


def _readable(example: Example) -> bool:
    try:
        yaml_read.parse_bytes(example.raw)
    except yaml_read.YamlProblem:
        return False
    return kind_of(example.place) is not None


READABLE = [e for e in invalid_examples() if _readable(e)]


def test_every_schema_fault_is_a_readable_example() -> None:
    assert {e.name for e in READABLE} >= SCHEMA_FAULTS


@pytest.mark.parametrize("example", READABLE, ids=str)
def test_python_jsonschema_and_our_checker_agree(example: Example) -> None:
    """Both find the schema faults, and neither finds one where the fault is of another kind."""
    kind = kind_of(example.place)
    assert kind is not None
    data = yaml_read.parse_bytes(example.raw)
    reference = jsonschema.Draft202012Validator(_load(SCHEMAS / f"{kind}.schema.json"))
    expected = example.name in SCHEMA_FAULTS
    assert (
        bool(schema_check.check(kind, data, example.place)),
        not reference.is_valid(data),
    ) == (expected, expected)
