"""The catalog YAML reader at its edges: exact limits, explicit tags, positions after line breaks
and byte-order marks, the values it shares, and the collector it turns off while it reads."""

from __future__ import annotations

import gc
from typing import Any

import pytest
import yaml

from freegin_gitops.adapters.yaml_read import YamlProblem, _check_utf8, _translate, parse, parse_bytes


def problem(text: str | bytes) -> tuple[str, int, int]:
    with pytest.raises(YamlProblem) as caught:
        parse_bytes(text) if isinstance(text, bytes) else parse(text)
    return caught.value.message, caught.value.line, caught.value.col


@pytest.mark.parametrize(
    ("text", "value"),
    [("true", True), ("True", True), ("TRUE", True), ("false", False), ("False", False), ("FALSE", False)],
)
def test_every_spelling_of_a_boolean_reads_as_that_boolean(text: str, value: bool) -> None:
    assert parse(f"k: {text}\n")["k"] is value


@pytest.mark.parametrize(
    ("text", "value"),
    [("!!float 12", 12.0), ("!!float 0x1F", 31.0), ("!!float 0o17", 15.0)],
)
def test_explicit_float_tags_read_integers_as_floats(text: str, value: Any) -> None:
    read = parse(f"k: {text}\n")["k"]
    assert read == value and type(read) is type(value)


@pytest.mark.parametrize(
    ("text", "kind"), [("!!bool yes", "bool"), ("!!null x", "null"), ("!!bool 1", "bool")]
)
def test_a_value_its_tag_cannot_read_is_refused(text: str, kind: str) -> None:
    value = text.split()[1]
    assert problem(f"k: {text}\n") == (f"the value {value!r} cannot be read as {kind}", 1, 4)


def test_explicit_map_and_seq_tags_on_collections_are_allowed() -> None:
    assert parse("a: !!map {b: 1}\nc: !!seq [1]\n") == {"a": {"b": 1}, "c": [1]}


def test_a_float_tagged_integer_of_too_many_digits_is_refused() -> None:
    digits = "1" * 65
    assert problem(f"a: !!float {digits}\n") == (
        "the integer has 65 digits; catalog integers have at most 64",
        1,
        4,
    )


@pytest.mark.parametrize(("length", "shown"), [(40, "9" * 36 + "e999"), (41, "9" * 37 + "e99...")])
def test_a_number_too_large_is_shown_in_full_up_to_40_characters(length: int, shown: str) -> None:
    text = "9" * (length - 4) + "e999"
    assert problem(f"a: {text}\n")[0] == f"the number {shown} is too large: catalog numbers are finite"


def test_nesting_is_read_up_to_64_levels_under_the_top_mapping_and_refused_past_that() -> None:
    assert parse("a: " + "[" * 64 + "]" * 64 + "\n") is not None
    assert problem("a: " + "[" * 65 + "]" * 65 + "\n") == ("nesting is deeper than 64 levels", 1, 68)


def test_values_of_another_type_are_not_merged_with_equal_integers() -> None:
    read = parse("a: [1, 1.0, true, 0, false, 0.0]\n")["a"]
    assert [type(v) for v in read] == [int, float, bool, int, bool, float]


def test_repeated_short_strings_and_integers_are_shared_and_longer_ones_are_not() -> None:
    """Sharing keeps big catalogs small in memory: up to 24 characters a repeated scalar is one
    object."""
    short, long = "s" * 24, "s" * 25
    short_int, long_int = "0" * 20 + "1000", "0" * 21 + "1000"
    read = parse(
        f"a: {short}\nb: {short}\nc: {long}\nd: {long}\ne: {short_int}\nf: {short_int}\n"
        f"g: {long_int}\nh: {long_int}\n"
    )
    assert read["a"] is read["b"]
    assert read["c"] == read["d"] and read["c"] is not read["d"]
    assert read["e"] == 1000 and read["e"] is read["f"]
    assert read["g"] == read["h"] == 1000 and read["g"] is not read["h"]


def test_parsing_runs_with_the_cyclic_collector_off_and_leaves_it_as_it_was() -> None:
    started: list[int] = []

    def record(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started.append(info["generation"])

    text = "a:\n" + "".join(f"  - [{i}, x{i}]\n" for i in range(5000))
    was = gc.isenabled()
    gc.enable()
    gc.callbacks.append(record)
    try:
        parse(text)
        assert started == []
        assert gc.isenabled()
        gc.disable()
        parse(text)
        assert not gc.isenabled()
    finally:
        gc.callbacks.remove(record)
        if was:
            gc.enable()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: [1, 2\n", "did not find expected ',' or ']' (while parsing a flow sequence)"),
        ("a: b: c\n", "mapping values are not allowed in this context"),
    ],
)
def test_a_syntax_error_says_what_libyaml_was_reading_when_it_knows(text: str, message: str) -> None:
    assert problem(text)[0] == message


TAB = "tab characters are not allowed for indentation; use spaces"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("\tb: 1\n", 1),
        ("a: 1\n\t\n", 2),
        ("a: 1\n\t", 2),
        ("\n\tb: 1\n", 2),
        ("a: 1\r\tb: 2\r", 2),
        ("a: 1\r\n\tb: 2\r\n", 2),
        ("a: 1\u2028\tb: 2\n", 2),
    ],
    ids=["first-line", "tab-alone", "tab-at-the-end", "after-empty-line", "cr", "crlf", "line-separator"],
)
def test_a_tab_used_for_indentation_is_named_on_any_line_whatever_ends_the_lines(
    text: str, line: int
) -> None:
    assert problem(text) == (TAB, line, 1)
    assert problem(text.encode()) == (TAB, line, 1)


@pytest.mark.parametrize(
    ("raw", "line", "col"),
    [
        (b"\na: \xe9\n", 2, 4),
        (b"\xef\xbb\xbfa: \xe9\n", 1, 4),
        (b"\xef\xbb\xbfa: 1\nb: \xe9\n", 2, 4),
        (b"a: 1\rb: \xe9\r", 2, 4),
        (b"a: 1\r\nb: \xe9\r\n", 2, 4),
    ],
    ids=["after-empty-line", "bom-first-line", "bom-second-line", "cr", "crlf"],
)
def test_a_bad_byte_is_placed_as_editors_and_libyaml_count_lines(raw: bytes, line: int, col: int) -> None:
    assert problem(raw) == ("the file is not valid UTF-8 (byte 0xe9)", line, col)


@pytest.mark.parametrize(
    ("raw", "line", "col"),
    [(b"\xef\xbb\xbfa: \x07\n", 1, 4), (b"\na: \x07\n", 2, 4), (b"a: 1\rb: \x07\r", 2, 4)],
)
def test_a_character_yaml_refuses_is_placed_after_a_byte_order_mark_or_line_breaks(
    raw: bytes, line: int, col: int
) -> None:
    assert problem(raw) == ("the file contains the character #x0007, which YAML does not allow", line, col)


def test_a_sequence_begun_in_one_chunk_and_broken_in_the_next_is_placed_at_its_start() -> None:
    raw = b"a: 1\nb: \xc3A\n"  # 0xc3 opens a two-byte sequence; "A" cannot continue it
    for chunk in (1, 2, 9, 10, 1 << 20):
        with pytest.raises(YamlProblem) as caught:
            _check_utf8(raw, chunk)
        assert (caught.value.message, caught.value.line, caught.value.col) == (
            "the file is not valid UTF-8 (byte 0xc3)",
            2,
            4,
        )


def test_yaml_errors_without_a_position_point_at_the_start_of_the_file() -> None:
    bare = _translate(yaml.YAMLError("boom"), "a: 1\n")
    assert (bare.message, bare.line, bare.col) == ("the file cannot be read as YAML (boom)", 1, 1)
    unmarked = _translate(yaml.MarkedYAMLError(problem="odd"), "\ta: 1\n")
    assert (unmarked.message, unmarked.line, unmarked.col) == ("odd", 1, 1)
