"""Round-trip loading and dumping: what a person wrote comes back byte for byte."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml.comments import CommentedMap

from freegin_gitops.adapters import yaml_edit, yaml_read
from freegin_gitops.errors import CatalogInvalid, FreeginError
from tests.helpers import EXAMPLES, STARTER_CATALOG

GOLDEN_CATALOG = EXAMPLES / "golden" / "catalog"
CATALOG_FILES = sorted(STARTER_CATALOG.rglob("*.yaml")) + sorted(GOLDEN_CATALOG.rglob("*.yaml"))


def roundtrip(text: str) -> str:
    return yaml_edit.dump(yaml_edit.load(text.encode(), "x.yaml")).decode()


@pytest.mark.parametrize(
    "path", CATALOG_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.name}"
)
def test_every_catalog_file_comes_back_byte_for_byte(path: Path) -> None:
    raw = path.read_bytes()
    assert yaml_edit.dump(yaml_edit.load(raw, path.name)) == raw


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("a: 2026-11-01\nb: '2026-11-01'\nc: \"2026-11-01\"\n", id="dates"),
        pytest.param("t: 2026-11-20T09:00:00Z\nu: 2026-11-20 09:00:00+01:00\n", id="timestamps"),
        pytest.param("a: null\nb: ~\nc:\nd: NULL\ne: Null\n", id="null-spellings"),
        pytest.param("a: true\nb: True\nc: FALSE\nd: yes\ne: off\n", id="booleans"),
        pytest.param("a: 0x1F\nb: 1.50\nc: 1e3\nd: 0o17\ne: -5\n", id="numbers"),
        pytest.param("a: {x: 1, y: [p, q]}\nb: [1, {c: d}]\n", id="flow"),
        pytest.param("a: >-\n  folded text\n  goes on\nb: |\n  literal\n  text\n", id="blocks"),
        pytest.param("# one\n\n# two\na: 1   # inline\n\n\nb: 2\n# end\n", id="comments"),
        pytest.param("list:\n- a\n- b:\n    c: 1\n", id="unindented-sequence"),
        pytest.param("list:\n    -   a\n    -   b\n", id="wide-sequence"),
        pytest.param("a:\n    b:\n        c: 1\n", id="four-space-mapping"),
        pytest.param("# yaml-language-server: $schema=x\n%YAML 1.2\n---\na: 1\n", id="document-start"),
        pytest.param("key: 'it''s'\nother: \"tab\\there\"\nkeep: \"true\"\n", id="quotes"),
        pytest.param("a: " + "word " * 60 + "end\n", id="long-line-not-wrapped"),
    ],
)
def test_written_forms_survive(text: str) -> None:
    assert roundtrip(text) == text


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("a: 1   \n", "a: 1\n"),
        ("a:   1\n", "a: 1\n"),
        ("a: { b: 1 }\n", "a: {b: 1}\n"),
        ("a: +5\n", "a: 5\n"),
        ("a: 1", "a: 1\n"),
    ],
    ids=["trailing-spaces", "spaces-after-colon", "spaces-in-braces", "plus-sign", "no-newline"],
)
def test_known_normalisations(text: str, written: str) -> None:
    """What ruamel rewrites (documented in yaml_edit); the meaning never changes."""
    assert roundtrip(text) == written
    assert yaml_read.parse(written) == yaml_read.parse(text)


def test_crlf_line_ends_and_byte_order_mark_survive() -> None:
    raw = "\ufeff# c\r\na: 1  # x\r\nb: [x, y]\r\n".encode()
    assert yaml_edit.dump(yaml_edit.load(raw, "x.yaml")) == raw


def test_dates_and_timestamps_load_as_the_strings_written() -> None:
    doc = yaml_edit.load(b"a: 2026-11-01\nt: 2026-11-20T09:00:00Z\n", "x.yaml")
    assert doc.root["a"] == "2026-11-01"
    assert doc.root["t"] == "2026-11-20T09:00:00Z"


def test_new_dates_and_timestamps_are_written_unquoted_and_read_back_as_strings() -> None:
    doc = yaml_edit.load(b"a: 1\n", "x.yaml")
    doc.root["added"] = "2026-11-25"
    doc.root["updated_at"] = "2026-11-25T10:00:00Z"
    doc.root["verified"] = None
    text = yaml_edit.dump(doc).decode()
    assert text == "a: 1\nadded: 2026-11-25\nupdated_at: 2026-11-25T10:00:00Z\nverified: null\n"
    assert yaml_read.parse(text) == {
        "a": 1,
        "added": "2026-11-25",
        "updated_at": "2026-11-25T10:00:00Z",
        "verified": None,
    }


@pytest.mark.parametrize("value", ["true", "null", "123", "1.5", "a: b", "#x", "- x", ""])
def test_new_strings_that_would_read_as_something_else_are_quoted(value: str) -> None:
    doc = yaml_edit.load(b"a: 1\n", "x.yaml")
    doc.root["s"] = value
    assert yaml_read.parse(yaml_edit.dump(doc).decode())["s"] == value


def test_spelled_values_compare_as_their_values() -> None:
    root = yaml_edit.load(b"a: ~\nb: True\n", "x.yaml").root
    assert yaml_edit.plain_value(root["a"]) is None
    assert yaml_edit.plain_value(root["b"]) is True
    assert root["b"] == True  # noqa: E712 - Spelled compares by value
    assert not root["a"]


def test_indentation_is_guessed_from_the_file() -> None:
    assert yaml_edit.load(b"m:\n  a: 1\nl:\n  - x\n", "x").indent == yaml_edit.Indent(2, 4, 2)
    assert yaml_edit.load(b"m:\n    a: 1\nl:\n- x\n", "x").indent == yaml_edit.Indent(4, 2, 0)
    assert yaml_edit.load(b"a: 1\n", "x").indent == yaml_edit.Indent()


def test_like_keeps_the_quoting_of_the_replaced_string() -> None:
    doc = yaml_edit.load(b"a: 'x'\nb: \"y\"\nc: z\n", "x.yaml")
    assert [type(yaml_edit.like(doc.root[k], "new")).__name__ for k in "abc"] == [
        "SingleQuotedScalarString",
        "DoubleQuotedScalarString",
        "str",  # a plain string stays plain
    ]
    assert type(yaml_edit.like("plain", "new")) is str and yaml_edit.like(3, "new") == "new"
    for key in ("a", "b", "c"):
        doc.root[key] = yaml_edit.like(doc.root[key], "new")
    assert yaml_edit.dump(doc) == b"a: 'new'\nb: \"new\"\nc: new\n"


def test_folded_breaks_long_text_at_spaces() -> None:
    text = "Strong open code model, " * 8 + "free."
    doc = yaml_edit.load(b"a: 1\n", "x.yaml")
    doc.root["rationale"] = yaml_edit.folded(text, width=60)
    dumped = yaml_edit.dump(doc).decode()
    assert dumped.startswith("a: 1\nrationale: >-\n  Strong")
    assert all(len(line) <= 62 for line in dumped.splitlines())
    assert yaml_read.parse(dumped)["rationale"] == text
    assert yaml_edit.folded("short") == "short"


def test_unreadable_yaml_is_catalog_invalid_with_its_line() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        yaml_edit.load(b"# c\na: 1\nb: [unclosed\nc: 2\n", "catalog/providers/x.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.col) == ("catalog/providers/x.yaml", 4, 2)
    assert problem.message == "expected ',' or ']', but got ':'"
    assert isinstance(caught.value.__cause__, Exception)


@pytest.mark.parametrize(
    ("raw", "line", "col"),
    [
        (b"# yaml-language-server: $schema=x\n---\na: 1\nb: [unclosed\nc: 2\n", 5, 2),  # header counted
        (b"%YAML 1.2\n---\nb: c: d\n", 3, 5),
        (b"a: 1\nb: c: d\n", 2, 5),
        (b"a: 1\n\tb: 2\n", 2, 1),
    ],
)
def test_a_yaml_error_names_its_line_and_column_in_the_file(raw: bytes, line: int, col: int) -> None:
    with pytest.raises(CatalogInvalid) as caught:
        yaml_edit.load(raw, "x.yaml")
    assert (caught.value.problems[0].line, caught.value.problems[0].col) == (line, col)


def test_non_utf8_and_non_mapping_files_are_refused() -> None:
    with pytest.raises(CatalogInvalid, match="UTF-8"):
        yaml_edit.load(b"a: \xff\n", "x.yaml")
    with pytest.raises(CatalogInvalid, match="mapping"):
        yaml_edit.load(b"- a\n", "x.yaml")


def test_documents_are_commented_maps() -> None:
    assert isinstance(yaml_edit.load(b"a: 1\n", "x.yaml").root, CommentedMap)


def test_folded_lines_are_as_long_as_the_width_allows_and_no_longer() -> None:
    folded = yaml_edit.folded("one two three four five six seven eight", width=10)
    doc = yaml_edit.load(b"a: 1\n", "x.yaml")
    doc.root["r"] = folded
    dumped = yaml_edit.dump(doc).decode()
    assert dumped == "a: 1\nr: >-\n  one two\n  three four\n  five six\n  seven\n  eight\n"
    assert yaml_read.parse(dumped)["r"] == "one two three four five six seven eight"


def test_a_word_longer_than_the_width_ends_the_folding() -> None:
    text = "a " + "x" * 30 + " b c"
    doc = yaml_edit.load(b"a: 1\n", "x.yaml")
    doc.root["r"] = yaml_edit.folded(text, width=10)
    dumped = yaml_edit.dump(doc).decode()
    assert dumped == "a: 1\nr: >-\n  a\n  " + "x" * 30 + " b c\n"
    assert yaml_read.parse(dumped)["r"] == text


@pytest.mark.parametrize(
    "text",
    [
        "x" * 10,
        "two\nlines and more",
        " leading space and more",
        "trailing space and more ",
        "two  spaces here",
    ],
    ids=["at-the-width", "multi-line", "leading-space", "trailing-space", "double-space"],
)
def test_folded_leaves_text_folding_would_change_or_not_shorten_as_it_is(text: str) -> None:
    got = yaml_edit.folded(text, width=10)
    assert got == text and type(got) is str


def test_a_character_yaml_cannot_hold_is_catalog_invalid_at_the_start() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        yaml_edit.load(b"a: \x07\n", "catalog/x.yaml")
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.col) == ("catalog/x.yaml", 1, 1)
    assert problem.message.startswith("the file cannot be read as YAML (unacceptable character #x0007")


def test_a_value_yaml_cannot_write_is_one_sentence_naming_the_file() -> None:
    doc = yaml_edit.load(b"a: 1\n", "catalog/x.yaml")
    doc.root["x"] = object()
    with pytest.raises(FreeginError, match=r"^catalog/x.yaml cannot be written as YAML: cannot represent"):
        yaml_edit.dump(doc)


@pytest.mark.parametrize(
    ("text", "indent"),
    [
        ("top:\n  mid:\n    l:\n    - x\n", yaml_edit.Indent(2, 2, 0)),  # a list two levels down
        ("a:\n  b:\n    c:\n      l:\n      - x\n", yaml_edit.Indent(2, 4, 2)),  # three: not looked at
        ("l:\n- x\nm:\n    a: 1\n", yaml_edit.Indent(4, 2, 0)),  # the list first, the mapping after
        ("a:\n    b: 1\nc:\n  d: 1\nl:\n- x\n", yaml_edit.Indent(4, 2, 0)),  # the first mapping counts
        ("m:\n a: 1\n", yaml_edit.Indent(1, 4, 2)),
        ("l:\n  - a:\n      b: 1\n", yaml_edit.Indent(2, 4, 2)),  # a mapping inside a list item
        ("l:\n  -   x\nm:\n  a: 1\n", yaml_edit.Indent(2, 6, 2)),
        ("a:\n  l:\n  - x\n  m:\n      z: 1\n", yaml_edit.Indent(2, 2, 0)),
        ("l:\n-\n  a: 1\n", yaml_edit.Indent(2, 4, 2)),  # the item is not on the dash's line
        ("l:\n- - a:\n        b: 1\n", yaml_edit.Indent(2, 2, 0)),  # in a list in a list: not looked at
    ],
)
def test_indentation_is_guessed_from_the_first_nested_collections(
    text: str, indent: yaml_edit.Indent
) -> None:
    assert yaml_edit.load(text.encode(), "x.yaml").indent == indent


def test_spelled_scalars_hash_as_their_values_and_show_their_spelling() -> None:
    root = yaml_edit.load(b"a: ~\nb: True\n", "x.yaml").root
    assert {root["b"]: "found"}[True] == "found" and hash(root["a"]) == hash(None)
    assert (repr(root["a"]), repr(root["b"])) == ("Spelled('~')", "Spelled('True')")


def test_new_text_beyond_ascii_is_written_as_it_is() -> None:
    doc = yaml_edit.load(b"a: 1\n", "x.yaml")
    doc.root["n"] = "caf\u00e9 \u2615"
    assert yaml_edit.dump(doc) == "a: 1\nn: caf\u00e9 \u2615\n".encode()


def test_refusals_without_a_line_point_at_the_start_of_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(CatalogInvalid) as caught:
        yaml_edit.load(b"a: \xff\n", "x.yaml")
    assert (caught.value.problems[0].line, caught.value.problems[0].col) == (1, 1)
    assert caught.value.problems[0].message == "the file is not valid UTF-8 (byte 0xff)"
    with pytest.raises(CatalogInvalid) as caught:
        yaml_edit.load(b"- a\n", "x.yaml")
    assert (caught.value.problems[0].line, caught.value.problems[0].col) == (1, 1)

    def unmarked(self: object, stream: object) -> object:  # ruamel always marks; a guard for when not
        from ruamel.yaml.error import MarkedYAMLError

        raise MarkedYAMLError()

    monkeypatch.setattr(yaml_edit.YAML, "load", unmarked)
    with pytest.raises(CatalogInvalid) as caught:
        yaml_edit.load(b"a: 1\n", "x.yaml")
    [problem] = caught.value.problems
    assert (problem.line, problem.col, problem.message) == (1, 1, "the file is not valid YAML")


def test_folding_cuts_at_the_last_space_that_keeps_each_line_within_the_width() -> None:
    assert getattr(yaml_edit.folded("a" * 40 + " " + "b" * 48), "fold_pos", None) == [40]  # 89 > 88
    assert getattr(yaml_edit.folded("a bb c", width=3), "fold_pos", None) == [1, 4]
    assert getattr(yaml_edit.folded("aaa b cccc", width=3), "fold_pos", None) == [3, 5]
    assert getattr(yaml_edit.folded("aaaa bb c", width=4), "fold_pos", None) == [4]  # "bb c" fits


@pytest.mark.parametrize(
    ("text", "indent"),
    [
        ("l:\n-\n  w:\n  - x\n", yaml_edit.Indent(2, 2, 0)),  # found through a list item
        ("a:\n- x\nb:\n  - y\n", yaml_edit.Indent(2, 2, 0)),  # the first list counts
    ],
)
def test_the_list_indentation_is_the_first_lists(text: str, indent: yaml_edit.Indent) -> None:
    assert yaml_edit.load(text.encode(), "x.yaml").indent == indent
