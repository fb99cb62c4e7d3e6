"""JSON text: orjson's output is the standard library's, byte for byte, where the compiled
catalog's format is pinned (two-space indent, UTF-8, key order kept, no ASCII escapes)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from freegin_gitops.core import json_text
from freegin_gitops.services.catalog.compiled_file import compile_result
from freegin_gitops.services.catalog.loading import load_files
from tests.helpers import ROOT

SAMPLES: list[Any] = [
    {},
    [],
    {"b": 1, "a": [], "c": {}, "d": [1, {"e": None, "f": True, "g": False}]},
    {"text": 'café ✓ 日本 \u2028 \x7f \x1f "quoted" back\\slash /'},
    {"float": 30.0, "small": 0.5, "big": 1e16, "neg": -2.25, "int": -(2**63), "u64": 2**64 - 1},
    [[[[]]], [{}], "", 0],
]


def stdlib(value: Any) -> bytes:
    return json.dumps(value, indent=2, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize("value", SAMPLES)
def test_pretty_is_the_standard_librarys_indented_text(value: Any) -> None:
    assert json_text.pretty(value) == stdlib(value)


def test_the_compiled_starter_catalog_renders_as_the_standard_library_would() -> None:
    from freegin_gitops.adapters.catalog_dir import read_catalog_dir

    document = compile_result(load_files(read_catalog_dir(ROOT)), "0" * 40, False).document
    assert (
        compile_result(load_files(read_catalog_dir(ROOT)), "0" * 40, False).data == stdlib(document) + b"\n"
    )


def test_integers_beyond_64_bits_fall_back_to_the_standard_library_and_read_back_exactly() -> None:
    value = {"context_window": 10**30 + 1, "name": "é"}
    assert json_text.pretty(value) == stdlib(value)
    assert json_text.loads(json_text.compact(value)) == value
    assert type(json_text.loads(json_text.compact(value))["context_window"]) is int
    assert json_text.loads_any(json_text.pretty(value)) == value
    assert json_text.loads(json_text.compact({"n": 2**63})) == {"n": 2**63}


def test_loads_refuses_what_is_not_json() -> None:
    with pytest.raises(ValueError):
        json_text.loads(b"{not json")


@pytest.mark.parametrize("count", [0, 1, 2, 3, 5, 6, 7, 1030])
@pytest.mark.parametrize("chunk", [1, 3, 512])
def test_an_array_in_pieces_is_the_array_at_once(count: int, chunk: int) -> None:
    items = [{"rank": i, "model": f"m{i}", "usage": None if i % 2 else {"calls": i}} for i in range(count)]
    pieces = list(json_text.pretty_array(iter(items), chunk=chunk))
    assert b"".join(pieces) == stdlib(items)
    assert len(pieces) == -(-count // chunk) + 1  # every chunk, then the closing bracket
