"""The safe catalog YAML reader: YAML 1.2 core schema values, refusals with positions, Locator."""

from __future__ import annotations

from pathlib import Path

import pytest

from freegin_gitops.adapters.yaml_read import (
    MAX_DEPTH,
    YamlProblem,
    parse,
    parse_bytes,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("y", "y"),
        ("2026-11-20", "2026-11-20"),
        ("2026-11-25T10:00:00Z", "2026-11-25T10:00:00Z"),
        ("1_000", "1_000"),
        ("0755", 755),
        ("0o17", 15),
        ("0x1F", 31),
        ("+12", 12),
        ("-3", -3),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("'0755'", "0755"),
        ('"true"', "true"),
        ("!!str 12", "12"),
    ],
)
def test_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    assert parse(f"key: {text}\n") == {"key": value}


@pytest.mark.parametrize("text", ["1e999", "-1e999", "9" * 400 + ".5"])
def test_numbers_that_overflow_to_infinity_are_refused_with_their_position(text: str) -> None:
    with pytest.raises(
        YamlProblem, match=r"^the number .* is too large: catalog numbers are finite$"
    ) as caught:
        parse(f"a: 1\nlimit: {text}\n")
    assert (caught.value.line, caught.value.col, caught.value.path) == (2, 8, ("limit",))


@pytest.mark.parametrize(
    ("text", "digits"), [("9" * 5000, 5000), ("-" + "1" * 4301, 4301), ("0x" + "f" * 65, 65), ("1" * 65, 65)]
)
def test_integers_with_too_many_digits_are_refused_with_their_position(text: str, digits: int) -> None:
    with pytest.raises(YamlProblem) as caught:
        parse(f"a: 1\nlimit: {text}\n")
    assert caught.value.message == f"the integer has {digits} digits; catalog integers have at most 64"
    assert (caught.value.line, caught.value.col) == (2, 8)


def test_integers_up_to_64_digits_are_read() -> None:
    assert parse(f"n: {'1' * 64}\n") == {"n": int("1" * 64)}


@pytest.mark.parametrize("text", [".inf", "-.inf", "+.INF", ".nan", ".NaN"])
def test_infinite_and_nan_numbers_are_refused_with_their_position(text: str) -> None:
    with pytest.raises(YamlProblem, match="catalog numbers are finite") as caught:
        parse(f"a: 1\nkey: {text}\n")
    assert (caught.value.line, caught.value.col) == (2, 6)


def test_nested_mappings_and_sequences_keep_their_order() -> None:
    assert parse("b: [1, {c: d}]\na:\n  - x\n") == {"b": [1, {"c": "d"}], "a": ["x"]}


def test_a_byte_order_mark_is_allowed() -> None:
    assert parse_bytes(b"\xef\xbb\xbfkey: 1\n") == {"key": 1}


@pytest.mark.parametrize(
    ("text", "line", "col", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, 1, "duplicate key 'a'"),
        ("a: &x 1\nb: 2\n", 1, 4, "YAML anchors (&x) are not allowed"),
        ("a: 1\nb: *x\n", 2, 4, "YAML aliases (*x) are not allowed"),
        ("a: 1\nb: !!python/object/apply:os.system ['true']\n", 2, 4, "the tag !!python/object"),
        ("a: !custom 1\n", 1, 4, "the tag !custom is not allowed"),
        ("a: !!binary aGk=\n", 1, 4, "the tag !!binary is not allowed"),
        ("a: !!timestamp 2026-01-01\n", 1, 4, "the tag !!timestamp is not allowed"),
        ("a: !!int x\n", 1, 4, "the value 'x' cannot be read as int"),
        ("a:\n\tb: 1\n", 2, 1, "tab characters are not allowed for indentation"),
        ("a:\n  - b\n \t- c\n", 3, 2, "tab characters are not allowed for indentation"),
        ("", 1, 1, "the file is empty"),
        ("# only a comment\n\n", 1, 1, "the file is empty"),
        ("a: 1\n---\nb: 2\n", 2, 1, "exactly one YAML document"),
        ("a: [1, 2\n", 2, 1, "did not find expected ',' or ']'"),
        ("a: b: c\n", 1, 5, "mapping values are not allowed"),
        ("a: 'open\n", 2, 1, "found unexpected end of stream"),
        ("a: 1\nb: \x07\n", 2, 4, "the character #x0007"),
        ("a: 1\n2: b\n", 2, 1, "mapping keys must be plain strings, not '2'"),
        ("? [a]\n: 1\n", 1, 3, "mapping keys must be plain strings"),
    ],
)
def test_refusals_name_line_and_column(text: str, line: int, col: int, message: str) -> None:
    with pytest.raises(YamlProblem) as caught:
        parse(text)
    assert (caught.value.line, caught.value.col) == (line, col)
    assert message in caught.value.message


def test_a_tag_is_refused_before_anything_is_constructed(isolated: Path) -> None:
    with pytest.raises(YamlProblem):
        parse("a: !!python/object/apply:os.system ['touch marker']\n")
    assert not (isolated / "marker").exists()


def test_a_refused_tag_names_its_json_path() -> None:
    with pytest.raises(YamlProblem) as caught:
        parse("models:\n  - id: x\n    hints: !!set {a}\n")
    assert caught.value.path == ("models", 0, "hints")


def test_non_utf8_bytes_are_refused_at_their_position() -> None:
    with pytest.raises(YamlProblem) as caught:
        parse_bytes(b"a: 1\nname: caf\xe9\n")
    assert (caught.value.line, caught.value.col, caught.value.message) == (
        2,
        10,
        "the file is not valid UTF-8 (byte 0xe9)",
    )


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    depth = MAX_DEPTH + 2
    text = "".join("  " * i + f"k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"
    with pytest.raises(YamlProblem, match="deeper than"):
        parse(text)


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    assert parse(f"a: {text}\n") is not None


def test_a_bad_byte_is_found_where_it_is_even_across_the_checks_chunks() -> None:
    from freegin_gitops.adapters.yaml_read import _check_utf8

    raw = b"a: " + "é".encode() * 10 + b"\nb: caf\xc3"  # a sequence cut short at the very end
    for chunk in (1, 2, 3, 5, 1 << 20):
        with pytest.raises(YamlProblem) as caught:
            _check_utf8(raw, chunk)
        assert (caught.value.line, caught.value.col, caught.value.message) == (
            2,
            7,
            "the file is not valid UTF-8 (byte 0xc3)",
        )
    _check_utf8("ok: é\n".encode(), 1)


def test_a_collection_may_not_claim_a_scalar_tag() -> None:
    with pytest.raises(YamlProblem, match="the tag !!str is not allowed"):
        parse("a: !!str {b: 1}\n")


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("a:\n  - x\n  - {b: 1, b: 2}\n", ("a", 1)),
        ("a:\n  b:\n    c: [1, !!set {}]\n", ("a", "b", "c", 1)),
        ("a: [x, {y: [z, 1.5e3, .inf]}]\n", ("a", 1, "y", 2)),
    ],
)
def test_refusals_deep_in_a_document_name_their_json_path(text: str, path: tuple[str | int, ...]) -> None:
    with pytest.raises(YamlProblem) as caught:
        parse(text)
    assert caught.value.path == path


def test_bytes_and_text_read_alike() -> None:
    text = "# c\nname: café\nlist: [1, 0x1F, 'x', ~]\nmap: {k: true}\n"
    assert (
        parse_bytes(text.encode())
        == parse(text)
        == {
            "name": "café",
            "list": [1, 31, "x", None],
            "map": {"k": True},
        }
    )
