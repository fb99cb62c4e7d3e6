"""docs/catalog.md is generated from schemas/ and documents every key of every file kind."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

from freegin_gitops.docs import catalog_reference, generate
from tests.helpers import ROOT, SCHEMAS

REFERENCE = ROOT / generate.CATALOG_REFERENCE
SCHEMA_FILES = sorted(SCHEMAS.glob("*.schema.json"))


@pytest.fixture(scope="module")
def reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def schema_section(reference: str, schema_file: str) -> str:
    title = json.loads((SCHEMAS / schema_file).read_text())["title"]
    start = reference.index(f"\n## {title}\n")
    end = reference.find("\n## ", start + 1)
    return reference[start : end if end != -1 else len(reference)]


def property_names(node: Any) -> Iterator[str]:
    """Every name under any ``properties`` of a schema, wherever it is nested (also in $defs)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                yield from value
            yield from property_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from property_names(item)


def table_keys(section: str) -> set[str]:
    """The last step of each key path in a section's table."""
    paths = re.findall(r"^\| `([^`]+)` \|", section, re.MULTILINE)
    return {re.split(r"\.|\[\]", p.removesuffix("[]"))[-1] for p in paths}


def test_the_reference_is_what_the_schemas_generate_now(reference: str) -> None:
    assert reference == generate.render_catalog_reference(SCHEMAS), (
        "out of date: run python -m freegin_gitops.docs"
    )


@pytest.mark.parametrize("schema_file", [p.name for p in SCHEMA_FILES])
def test_every_property_of_every_schema_is_in_the_reference(reference: str, schema_file: str) -> None:
    section = schema_section(reference, schema_file)
    schema = json.loads((SCHEMAS / schema_file).read_text())
    assert f"schemas/{schema_file}" in section
    assert sorted(set(property_names(schema)) - table_keys(section)) == []


@pytest.mark.parametrize(
    ("schema_file", "row"),
    [
        ("provider.schema.json", "| `models[].hints.context_window` | integer | no | Maximum context length"),
        ("provider.schema.json", "| `models[].retired` | string | when status is retired |"),
        ("provider.schema.json", "| `provider` | string | yes |"),
        ("suggestions.schema.json", "| `suggestions[].verified` | boolean or null | no |"),
        ("config.schema.json", "| `defaults.<workload>[].model` | string | yes |"),
        ("workloads.schema.json", "| `workloads` | map of \\<workload> to object | yes |"),
        ("compiled.schema.json", "| `candidates.<workload>.pending[].verified` | boolean or null | yes |"),
    ],
)
def test_rows_give_path_type_and_whether_required(reference: str, schema_file: str, row: str) -> None:
    assert row in schema_section(reference, schema_file)


@pytest.mark.parametrize(
    ("path", "notes"),
    [
        ("models[].hints.speed", ["one of `slow`, `medium`, `fast`", "example `fast`"]),
        ("provider", ["pattern `^[a-z0-9][a-z0-9-]{0,62}$`", "example `groq`"]),
        ("api.timeout_s", ["greater than 0", "maximum 600"]),
        ("models[].workloads", ["min items 1", "no duplicates"]),
    ],
)
def test_rows_give_what_the_schema_allows_and_an_example(reference: str, path: str, notes: list[str]) -> None:
    row = next(
        r
        for r in schema_section(reference, "provider.schema.json").splitlines()
        if r.startswith(f"| `{path}` |")
    )
    assert [n for n in notes if n not in row] == []


def test_defaults_are_given(reference: str) -> None:
    section = schema_section(reference, "config.schema.json")
    row = next(r for r in section.splitlines() if r.startswith("| `refresh.per_workload` |"))
    assert "default `3`" in row


@pytest.mark.parametrize("kind", generate.file_kinds(SCHEMAS), ids=lambda k: k.schema_file)
def test_each_kind_has_an_example_that_its_schema_accepts(kind: catalog_reference.FileKind) -> None:
    assert kind.example_text
    validator = jsonschema.Draft202012Validator(kind.schema, format_checker=jsonschema.FormatChecker())
    assert [e.message for e in validator.iter_errors(kind.example)] == []


def test_every_schema_file_has_a_kind() -> None:
    assert sorted(k.schema_file for k in generate.file_kinds(SCHEMAS)) == [p.name for p in SCHEMA_FILES]


def test_a_pipe_in_a_pattern_does_not_break_the_table(reference: str) -> None:
    for row in (r for r in reference.splitlines() if r.startswith("| `")):
        assert len(re.findall(r"(?<!\\)\|", row)) == 6, row
