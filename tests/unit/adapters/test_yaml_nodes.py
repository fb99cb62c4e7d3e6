"""Node changes keep each comment above the entry it describes and on the line it was on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from freegin_gitops.adapters import yaml_edit
from freegin_gitops.adapters.yaml_nodes import (
    append_item,
    copy_node,
    delete_item,
    delete_key,
    new_map,
    new_seq,
    set_key,
)

ITEMS = """\
items:
  # about a
  - id: a
    note: x   # inline a

  # about b
  - id: b
    note: y
# end of items
other: 1
"""


def edit(text: str, change: Callable[[Any], object]) -> str:
    doc = yaml_edit.load(text.encode(), "x.yaml")
    change(doc.root)
    return yaml_edit.dump(doc).decode()


def test_a_key_added_last_goes_above_the_comment_that_introduces_the_next_entry() -> None:
    out = edit(ITEMS, lambda r: set_key(r["items"][0], "extra", "2026-11-25"))
    assert out == ITEMS.replace("x   # inline a\n", "x   # inline a\n    extra: 2026-11-25\n")


def test_a_key_added_after_another_goes_right_after_it() -> None:
    out = edit(ITEMS, lambda r: set_key(r["items"][0], "extra", "z", after="id"))
    assert out == ITEMS.replace("  - id: a\n", "  - id: a\n    extra: z\n")


def test_a_changed_value_keeps_its_quotes_and_inline_comment() -> None:
    text = "a: 'x'   # why\nb: \"y\"\n"
    assert edit(text, lambda r: (set_key(r, "a", "new"), set_key(r, "b", "z"))) == (
        "a: 'new' # why\nb: \"z\"\n"
    )


def test_setting_the_same_value_changes_nothing() -> None:
    doc = yaml_edit.load(b"a: 'x'\nb: 2\nc: ~\nd: [p]\n", "x.yaml")
    assert not set_key(doc.root, "a", "x")
    assert not set_key(doc.root, "b", 2)
    assert not set_key(doc.root, "d", ["p"])
    assert set_key(doc.root, "b", True)


def test_deleting_the_last_key_keeps_the_lines_after_it() -> None:
    out = edit(ITEMS, lambda r: delete_key(r["items"][0], "note"))
    assert out == ITEMS.replace("    note: x   # inline a\n", "")


def test_deleting_a_middle_key_keeps_the_comment_above_the_next_one() -> None:
    text = "a: 1\nb: 2\n# about c\nc: 3\n"
    assert edit(text, lambda r: delete_key(r, "b")) == "a: 1\n# about c\nc: 3\n"


def test_deleting_the_first_key_keeps_its_comment_lines() -> None:
    text = "a: 1\n# about b\nb: 2\n"
    assert edit(text, lambda r: delete_key(r, "a")) == "b: 2\n# about b\n"


def test_deleting_a_missing_key_is_a_no_op() -> None:
    assert edit(ITEMS, lambda r: delete_key(r, "nope")) == ITEMS


def test_an_appended_item_goes_before_the_lines_after_the_list() -> None:
    item = new_map({"id": "c", "workloads": new_seq(["chat"])})
    out = edit(ITEMS, lambda r: append_item(r, "items", item))
    assert out == ITEMS.replace("    note: y\n", "    note: y\n  - id: c\n    workloads: [chat]\n")


def test_an_appended_item_follows_a_nested_list_and_its_closing_comment() -> None:
    text = "items:\n  - id: a\n    gone:\n      - {w: x}\n# end\nother: 1\n"
    out = edit(text, lambda r: append_item(r, "items", new_map({"id": "b"})))
    assert out == "items:\n  - id: a\n    gone:\n      - {w: x}\n  - id: b\n# end\nother: 1\n"


def test_an_appended_item_follows_a_flow_value_with_a_comment() -> None:
    text = "items:\n  - id: a\n    hints: {s: 1}  # hint\n  # about more\nother: 1\n"
    out = edit(text, lambda r: append_item(r, "items", new_map({"id": "b"})))
    assert out == ("items:\n  - id: a\n    hints: {s: 1}  # hint\n  - id: b\n  # about more\nother: 1\n")


def test_appending_to_an_empty_flow_list_makes_it_a_block_list() -> None:
    out = edit("items: []\n", lambda r: append_item(r, "items", new_map({"id": "a", "n": 1})))
    assert out == "items:\n  - id: a\n    n: 1\n"


def test_a_scalar_appended_to_a_flow_list_stays_inline() -> None:
    out = edit("w: [chat]     # served\n", lambda r: append_item(r, "w", "code"))
    assert out == "w: [chat, code] # served\n"  # the comment keeps its column while it fits


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, "l:\n  # about b\n  - b\n  # about c\n  - c\n# end\n"),
        (1, "l:\n  - a  # first\n  # about b\n  # about c\n  - c\n# end\n"),
        (2, "l:\n  - a  # first\n  # about b\n  - b\n  # about c\n# end\n"),
    ],
)
def test_deleting_an_item_drops_only_its_own_line(index: int, expected: str) -> None:
    """Whole-line comments are never dropped, not even one above the removed item: only the
    inline comment of the removed line goes with it."""
    text = "l:\n  - a  # first\n  # about b\n  - b\n  # about c\n  - c\n# end\n"
    assert edit(text, lambda r: delete_item(r, "l", index)) == expected


def test_deleting_the_only_item_keeps_the_lines_after_it() -> None:
    text = "l:\n  - a  # gone\n# about m\nm: 1\n"
    assert edit(text, lambda r: delete_item(r, "l", 0)) == "l: []\n# about m\nm: 1\n"


def test_copy_node_keeps_styles_and_drops_comments() -> None:
    root = yaml_edit.load(b"h: {a: 'x', b: 1}  # note\n", "x.yaml").root
    copied = copy_node(root["h"])
    doc = yaml_edit.load(b"k: 1\n", "x.yaml")
    doc.root["h"] = copied
    assert yaml_edit.dump(doc) == b"k: 1\nh: {a: 'x', b: 1}\n"


def test_a_value_of_another_type_is_a_change_even_when_python_calls_it_equal() -> None:
    doc = yaml_edit.load(b"i: 1\ns: '2'\nm: {a: 1}\nt: true\nn: ~\nx: True\nf: 1\n", "x.yaml")
    r = doc.root
    assert set_key(r, "i", True)  # 1 == True in Python, not in YAML
    assert set_key(r, "s", 2)  # a string is not a number
    assert set_key(r, "m", "{a: 1}")  # nor a mapping
    assert not set_key(r, "n", None)  # ~ is null
    assert not set_key(r, "x", True)  # True is true
    assert set_key(r, "t", 1)
    assert not set_key(r, "f", 1.0)  # numbers compare by value
    assert yaml_edit.dump(doc) == b"i: true\ns: 2\nm: '{a: 1}'\nt: 1\nn: ~\nx: True\nf: 1\n"


@pytest.mark.parametrize(
    ("text", "value", "expected"),
    [
        ("a:\n  b: 1\n  c: 2\n# about d\nd: 4\n", "flat", "a: flat\n# about d\nd: 4\n"),
        ("a: flat\n# about d\nd: 4\n", new_map({"x": 1}), "a:\n  x: 1\n# about d\nd: 4\n"),
        ("a: 1\n# about d\nd: 4\n", new_map({"x": 1}, flow=True), "a: {x: 1}\n# about d\nd: 4\n"),
        ("a: 1\n", new_seq(["p", "q"], flow=False), "a:\n  - p\n  - q\n"),
    ],
    ids=["block-to-scalar", "scalar-to-block", "scalar-to-flow", "block-list"],
)
def test_a_value_replaced_by_another_shape_keeps_the_lines_after_it(
    text: str, value: Any, expected: str
) -> None:
    assert edit(text, lambda r: set_key(r, "a", value)) == expected


def test_a_new_key_after_a_missing_key_goes_last_and_into_an_empty_mapping_first() -> None:
    assert edit("a: 1\n# c\nb: 2\n", lambda r: set_key(r, "z", 3, after="nope")) == "a: 1\n# c\nb: 2\nz: 3\n"
    assert edit("a: 1\n# about b\nb: 2\n", lambda r: set_key(r, "z", 3, after="a")) == (
        "a: 1\nz: 3\n# about b\nb: 2\n"
    )
    assert edit("{}\n", lambda r: set_key(r, "a", 1)) == "a: 1\n"


@pytest.mark.parametrize(
    ("text", "index", "expected"),
    [
        ("l: [a, b, c]  # note\nm: 1\n", 0, "l: [b, c]     # note\nm: 1\n"),
        ("l: [a, b, c]  # note\nm: 1\n", 2, "l: [a, b]     # note\nm: 1\n"),
        ("l: [a]  # note\n# about m\nm: 1\n", 0, "l: []   # note\n# about m\nm: 1\n"),
        ("l:\n  - a\n  - b\n# end\n", 1, "l:\n  - a\n# end\n"),
    ],
)
def test_deleting_from_a_flow_list_or_the_last_item_keeps_the_comments(
    text: str, index: int, expected: str
) -> None:
    assert edit(text, lambda r: delete_item(r, "l", index)) == expected


def test_deleting_the_last_key_of_a_mapping_or_the_only_one_keeps_the_lines_after_it() -> None:
    assert edit("a: 1\nb: 2\n# end\n", lambda r: delete_key(r, "b")) == "a: 1\n# end\n"
    assert (
        edit("a: 1  # only\n# end\nb: {}\n", lambda r: delete_key(r["b"], "x"))
        == "a: 1  # only\n# end\nb: {}\n"
    )


def test_copy_node_copies_block_collections_as_blocks() -> None:
    assert edit("a:\n  - x\n  - y\n", lambda r: set_key(r, "b", copy_node(r["a"]))) == (
        "a:\n  - x\n  - y\nb:\n  - x\n  - y\n"
    )
    assert edit("a:\n  k: 1\n  j: [1, 2]\n", lambda r: set_key(r, "b", copy_node(r["a"]))) == (
        "a:\n  k: 1\n  j: [1, 2]\nb:\n  k: 1\n  j: [1, 2]\n"
    )


def test_set_and_delete_say_whether_anything_changed() -> None:
    doc = yaml_edit.load(b"a: 1\nb: [x]\n", "x.yaml")
    r = doc.root
    assert set_key(r, "c", 3) is True  # a new key
    assert set_key(r, "a", 2) is True and set_key(r, "a", 2) is False
    assert set_key(r, "b", new_seq(["x", "y"])) is True  # a list replaced
    assert delete_key(r, "c") is True and delete_key(r, "c") is False
    assert yaml_edit.dump(doc) == b"a: 2\nb: [x, y]\n"


def test_a_deleted_key_added_again_does_not_bring_back_its_comment() -> None:
    out = edit("a: 1  # about a\nb: 2\n", lambda r: (delete_key(r, "a"), set_key(r, "a", 5)))
    assert out == "b: 2\na: 5\n"


def test_an_empty_mapping_value_is_written_as_braces() -> None:
    assert edit("a: 1\nb: 2\n", lambda r: set_key(r, "a", new_map({}))) == "a: {}\nb: 2\n"


def test_copy_node_keeps_a_flow_list_flow_without_its_comment() -> None:
    assert (
        edit("w: [a, b]  # c\n", lambda r: set_key(r, "v", copy_node(r["w"])))
        == "w: [a, b]  # c\nv: [a, b]\n"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l:\n  # above\n  - a  # gone\n  - b\n", "l:\n  # above\n  - b\n"),
        ("l:  # on key\n  - a  # gone\n  - b\n", "l:  # on key\n  - b\n"),
        ("l:\n  - a\n  # about b\n  - b\n", "l:\n  # about b\n  - b\n"),
        ("l:\n  # above\n  - a\n  # about b\n  - b\n", "l:\n  # above\n  # about b\n  - b\n"),
    ],
)
def test_deleting_the_first_item_keeps_the_comments_before_the_new_first(text: str, expected: str) -> None:
    assert edit(text, lambda r: delete_item(r, "l", 0)) == expected


def test_the_lines_after_a_deleted_first_key_stay_with_the_new_first_key() -> None:
    assert edit("a: 1\n# about b\nb: 2\nc: 3\n", lambda r: delete_key(r, "a")) == "b: 2\n# about b\nc: 3\n"


def test_the_lines_after_a_deleted_middle_item_stay_after_the_item_before_it() -> None:
    out = edit("l:\n  - a\n  - b\n  # about c\n  - c\n", lambda r: delete_item(r, "l", 1))
    assert out == "l:\n  - a\n  # about c\n  - c\n"
    assert edit("l: [a, b, c]\n# about m\nm: 1\n", lambda r: delete_item(r, "l", 1)) == (
        "l: [a, c]\n# about m\nm: 1\n"
    )


@pytest.mark.parametrize(
    ("text", "item", "expected"),
    [
        ("l: []  # c\n# about m\nm: 1\n", "x", "l:     # c\n  - x\n# about m\nm: 1\n"),
        ("l: []  # c\n\n# about m\nm: 1\n", "x", "l:     # c\n  - x\n\n# about m\nm: 1\n"),
        ("m: 1\nl: []  # c\n# end\n", {"id": "a"}, "m: 1\nl:     # c\n  - id: a\n# end\n"),
        ("l: []\n# about m\nm: 1\n", {"id": "a"}, "l:\n  - id: a\n# about m\nm: 1\n"),
    ],
    ids=["comment-then-next-key", "blank-line", "last-key", "no-comment"],
)
def test_an_item_appended_to_an_empty_list_goes_above_the_comment_of_the_next_key(
    text: str, item: Any, expected: str
) -> None:
    """The comment after ``[]`` stays on the key's line; the lines after it stay after the list."""
    value = new_map(item) if isinstance(item, dict) else item
    assert edit(text, lambda r: append_item(r, "l", value)) == expected


def test_an_item_appended_to_an_empty_nested_list_keeps_the_comments_in_place() -> None:
    text = "a:\n  l: []  # c\n  # about m\n  m: 1\n"
    out = edit(text, lambda r: append_item(r["a"], "l", new_map({"id": "x"})))
    assert out == "a:\n  l:     # c\n    - id: x\n  # about m\n  m: 1\n"


def test_deleting_the_only_item_keeps_the_comment_on_the_key_and_the_lines_after_it() -> None:
    text = "l:  # on key\n  - a\n# about m\nm: 1\n"
    assert edit(text, lambda r: delete_item(r, "l", 0)) == "l: [] # on key\n# about m\nm: 1\n"


@pytest.mark.parametrize(
    "text",
    [
        "l:\n  - id: a\n# about m\nm: 1\n",
        "l:  # on key\n  - id: a\n# about m\nm: 1\n",
        "l: [a]  # c\n# m\nm: 1\n",
    ],
)
def test_deleting_the_only_item_and_appending_it_again_gives_the_list_back(text: str) -> None:
    doc = yaml_edit.load(text.encode(), "x.yaml")
    gone = copy_node(doc.root["l"][0])
    delete_item(doc.root, "l", 0)
    append_item(doc.root, "l", gone)
    assert yaml_edit.dump(doc).decode() == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("l:  # on key\n  - a\n  # about b\n  - b\n", "l:  # on key\n  # about b\n  - b\n"),
        (
            "l:  # on key\n  # above\n  - a\n  # about b\n  - b\n",
            "l:  # on key\n  # above\n  # about b\n  - b\n",
        ),
    ],
)
def test_deleting_the_first_item_under_a_commented_key_keeps_the_comment_of_the_next(
    text: str, expected: str
) -> None:
    assert edit(text, lambda r: delete_item(r, "l", 0)) == expected


def test_deleting_the_first_of_a_list_of_flow_lists_keeps_the_comment_of_the_next() -> None:
    text = "l:\n  - [a]\n  # about b\n  - [b]\n"
    assert edit(text, lambda r: delete_item(r, "l", 0)) == "l:\n  # about b\n  - [b]\n"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: set_key(r, "l", "flat"), "l: flat\n# end\nm: 1\n"),
        (lambda r: delete_key(r, "l"), "m: 1\n# end\n"),
    ],
    ids=["replaced", "deleted"],
)
def test_the_comment_closing_a_list_that_ends_in_a_flow_item_stays(
    change: Callable[[Any], object], expected: str
) -> None:
    assert edit("l:\n  - {w: x}\n# end\nm: 1\n", change) == expected


def test_lines_moved_after_a_flow_item_of_a_list_move_on_when_an_item_follows_it() -> None:
    text = "l:\n  - [x]\n  - b\n# about m\nm: 1\n"
    doc = yaml_edit.load(text.encode(), "x.yaml")
    delete_item(doc.root, "l", 1)
    assert yaml_edit.dump(doc).decode() == "l:\n  - [x]\n# about m\nm: 1\n"
    append_item(doc.root, "l", "b")
    assert yaml_edit.dump(doc).decode() == text
