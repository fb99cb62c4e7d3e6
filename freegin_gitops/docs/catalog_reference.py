"""``docs/catalog.md``: the reference of every catalog file kind, rendered from ``schemas/``.

Pure: parsed schemas and example documents in, Markdown out. Each key of each kind is listed with
its dotted path (``models[].hints.context_window``), type, whether it is required, its description
and what the schema says of it (allowed values, pattern, bounds, default), with an example value
taken from the schema's ``examples`` or, failing that, from the kind's example document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Schema = Mapping[str, Any]

ITEM = "[]"
"""A path step into every item of an array."""

# Names for the keys of maps (objects whose keys are free), by the key holding the map.
_PLACEHOLDERS = {
    "workloads": "<workload>",
    "defaults": "<workload>",
    "candidates": "<workload>",
    "providers": "<provider>",
    "headers": "<header>",
}
_EXAMPLE_WIDTH = 60

INTRO = """\
Every file of a catalog, key by key. The catalog is YAML under `catalog/` (JSON Schema draft
2020-12 files under `schemas/` check it); `freegin-ai validate` reports every problem with its
file, line, column and JSON path.

Rules for every catalog file:

- The first line names the schema, so editors validate and complete the file:
  `# yaml-language-server: $schema=../../schemas/provider.schema.json` (`../schemas/...` for the
  files directly under `catalog/`).
- Unknown keys are errors: a typo such as `modles:` does not pass silently.
- YAML anchors, aliases, custom tags, duplicate keys, tab indentation, non-UTF-8 bytes and empty
  files are refused. Dates and timestamps may be written unquoted (`added: 2026-11-20`).
- Beyond the schemas, `validate` checks across files: a provider file is named after its
  `provider`; every workload used is defined in `workloads.yaml`; a model id appears once per
  provider; a retired model has a `retired` date, not before `added`; dates are real dates;
  suggestions name existing providers, are not repeated, have `updated_at` not before
  `created_at`, and a pending suggestion is not already active; `config.yaml` names existing
  providers; headers and base URLs carry no secrets.

In key paths, `[]` stands for every item of a list and `<name>` for any key of a map.
"""


@dataclass(frozen=True)
class FileKind:
    """One kind of file: its schema, where such files live, and an example document."""

    schema_file: str
    schema: Schema
    location: str
    example_text: str
    example_language: str
    example: Any


@dataclass(frozen=True)
class Key:
    """One row of a kind's table."""

    path: tuple[str, ...]
    type: str
    required: str
    description: str
    notes: tuple[str, ...]


def render(kinds: Sequence[FileKind]) -> str:
    """The whole reference, one section per file kind, in the order given."""
    out = [
        "<!-- Generated from schemas/ by: python -m freegin_gitops.docs -- do not edit. -->",
        "",
        "# Catalog reference",
        "",
        INTRO,
    ]
    out += [f"- [{_title(k)}](#{_anchor(_title(k))})" for k in kinds]
    for kind in kinds:
        out += ["", *_section(kind)]
    return "\n".join(out) + "\n"


def keys(schema: Schema) -> list[Key]:
    """Every key a document of ``schema`` may hold, depth first in schema order."""
    return list(_object_keys(schema, schema, ()))


def dotted(path: Sequence[str]) -> str:
    text = ""
    for step in path:
        text += step if step == ITEM or not text else f".{step}"
    return text


def _title(kind: FileKind) -> str:
    return str(kind.schema.get("title", kind.schema_file))


def _anchor(title: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces as hyphens."""
    kept = "".join(c for c in title.lower() if c.isalnum() or c in " -_")
    return kept.replace(" ", "-")


def _section(kind: FileKind) -> list[str]:
    schema = kind.schema
    out = [f"## {_title(kind)}", "", _prose(str(schema.get("description", ""))), ""]
    out.append(f"- File: {kind.location}")
    out.append(f"- Schema: [`schemas/{kind.schema_file}`](../schemas/{kind.schema_file})")
    if "$id" in schema:
        out.append(f"- `$id`: `{schema['$id']}`")
    if schema.get("additionalProperties") is False:
        out.append("- Unknown keys are errors.")
    out += ["", "Example:", "", f"```{kind.example_language}", kind.example_text.rstrip("\n"), "```", ""]
    out += ["| key | type | required | description | values |", "|---|---|---|---|---|"]
    for key in keys(schema):
        notes = list(key.notes)
        example = _example_value(kind, key.path)
        if example is not None:
            notes.append(f"example {example}")
        cells = [
            _code(dotted(key.path)),
            _prose(key.type),
            key.required,
            _prose(key.description),
            "; ".join(notes),
        ]
        out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return out


def _resolve(node: Schema, root: Schema) -> Schema:
    """``node`` with a local ``$ref`` merged in (the referring node's own keywords win)."""
    ref = node.get("$ref")
    if not isinstance(ref, str):
        return node
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported, not {ref!r}")
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part]
    merged = dict(_resolve(target, root))
    merged.update({k: v for k, v in node.items() if k != "$ref"})
    return merged


def _object_keys(node: Schema, root: Schema, path: tuple[str, ...]) -> Iterator[Key]:
    required = set(node.get("required", ()))
    conditional = _conditionally_required(node)
    for name, child in node.get("properties", {}).items():
        need = "yes" if name in required else conditional.get(name, "no")
        yield from _key(child, root, (*path, name), need)


def _key(node: Schema, root: Schema, path: tuple[str, ...], required: str) -> Iterator[Key]:
    node = _resolve(node, root)
    yield Key(path, _type(node, root, path), required, str(node.get("description", "")), _notes(node))
    yield from _children(node, root, path)


def _children(node: Schema, root: Schema, path: tuple[str, ...]) -> Iterator[Key]:
    yield from _object_keys(node, root, path)
    values = node.get("additionalProperties")
    if isinstance(values, Mapping):
        placeholder = _placeholder(path)
        values = {"description": f"The value for one {placeholder[1:-1]}.", **_resolve(values, root)}
        yield from _key(values, root, (*path, placeholder), "no")
    items = node.get("items")
    if isinstance(items, Mapping):
        yield from _children(_resolve(items, root), root, (*path, ITEM))


def _placeholder(path: tuple[str, ...]) -> str:
    return _PLACEHOLDERS.get(path[-1] if path else "", "<name>")


def _conditionally_required(node: Schema) -> dict[str, str]:
    """Keys an ``if: {properties: {k: {const: v}}} / then: {required: [...]}`` pair requires,
    on the node itself or in each of its ``allOf`` members."""
    found: dict[str, str] = {}
    for member in node.get("allOf", ()):
        if isinstance(member, Mapping):
            found.update(_conditionally_required(member))
    condition, then = node.get("if"), node.get("then")
    if not isinstance(condition, Mapping) or not isinstance(then, Mapping):
        return found
    tests = [
        f"{name} is {_literal(test['const'])}"
        for name, test in condition.get("properties", {}).items()
        if isinstance(test, Mapping) and "const" in test
    ]
    if tests:
        found.update({name: "when " + " and ".join(tests) for name in then.get("required", ())})
    return found


def _type(node: Schema, root: Schema, path: tuple[str, ...]) -> str:
    if "const" in node:
        return _json_type(node["const"])
    declared = node.get("type")
    if declared is None and "enum" in node:
        declared = sorted({_json_type(v) for v in node["enum"]})
    names = [declared] if isinstance(declared, str) else list(declared or [])
    if "array" in names:
        items = node.get("items")
        inner = _type(_resolve(items, root), root, (*path, ITEM)) if isinstance(items, Mapping) else "any"
        names[names.index("array")] = f"list of {inner}"
    if "object" in names and isinstance(node.get("additionalProperties"), Mapping):
        values = _resolve(node["additionalProperties"], root)
        names[names.index("object")] = f"map of {_placeholder(path)} to {_type(values, root, path)}"
    return " or ".join(names) if names else "any"


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return "string" if isinstance(value, str) else type(value).__name__


def _notes(node: Schema) -> tuple[str, ...]:
    notes = []
    if "const" in node:
        notes.append(f"always {_code(_literal(node['const']))}")
    if "enum" in node:
        notes.append("one of " + ", ".join(_code(_literal(v)) for v in node["enum"]))
    for word, keyword in (("pattern", "pattern"), ("format", "format")):
        if keyword in node:
            notes.append(f"{word} {_code(str(node[keyword]))}")
    for word, keyword in (
        ("minimum", "minimum"),
        ("greater than", "exclusiveMinimum"),
        ("maximum", "maximum"),
        ("less than", "exclusiveMaximum"),
        ("min length", "minLength"),
        ("max length", "maxLength"),
        ("min items", "minItems"),
    ):
        if keyword in node:
            notes.append(f"{word} {node[keyword]}")
    if node.get("uniqueItems"):
        notes.append("no duplicates")
    items = node.get("items")
    if isinstance(items, Mapping) and "pattern" in items:
        notes.append(f"each item matches {_code(str(items['pattern']))}")
    names = node.get("propertyNames")
    if isinstance(names, Mapping) and "pattern" in names:
        notes.append(f"keys match {_code(str(names['pattern']))}")
    if node.get("required") and isinstance(node.get("additionalProperties"), Mapping):
        notes.append("must have " + ", ".join(_code(str(k)) for k in node["required"]))
    if "default" in node:
        notes.append(f"default {_code(_literal(node['default']))}")
    return tuple(notes)


def _example_value(kind: FileKind, path: tuple[str, ...]) -> str | None:
    node = _schema_node(kind.schema, path)
    if node is not None and node.get("examples"):
        return _code(_literal(node["examples"][0]))
    for value in _lookup(kind.example, path):
        text = _literal(value)
        if isinstance(value, Mapping | list) and len(text) > _EXAMPLE_WIDTH:
            continue
        if len(text) > _EXAMPLE_WIDTH:
            text = text[: _EXAMPLE_WIDTH - 3].rstrip() + "..."
        return _code(text)
    return None


def _schema_node(schema: Schema, path: tuple[str, ...]) -> Schema | None:
    node: Schema = schema
    for step in path:
        node = _resolve(node, schema)
        if step == ITEM:
            nxt = node.get("items")
        elif step.startswith("<"):
            nxt = node.get("additionalProperties")
        else:
            nxt = node.get("properties", {}).get(step)
        if not isinstance(nxt, Mapping):
            return None
        node = nxt
    return _resolve(node, schema)


def _lookup(data: Any, path: tuple[str, ...]) -> Iterator[Any]:
    """Every value found at ``path`` in ``data``, in document order."""
    if not path:
        yield data
        return
    step, rest = path[0], path[1:]
    if step == ITEM and isinstance(data, list):
        for item in data:
            yield from _lookup(item, rest)
    elif step.startswith("<") and isinstance(data, Mapping):
        for value in data.values():
            yield from _lookup(value, rest)
    elif isinstance(data, Mapping) and step in data:
        yield from _lookup(data[step], rest)


def _literal(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _code(text: str) -> str:
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" or text.startswith(" ") or text.endswith(" ") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _prose(text: str) -> str:
    """Text from a schema, with the characters Markdown would act on escaped."""
    for char in "\\*<":
        text = text.replace(char, "\\" + char)
    return text


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")
