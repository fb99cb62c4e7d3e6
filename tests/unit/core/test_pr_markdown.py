"""Inert markdown: any text becomes one line that renders as itself."""

from __future__ import annotations

import pytest

from freegin_gitops.core.pr_markdown import MAX_TEXT, inline_text, table


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>", "&lt;script&gt;"),
        ("a | b", "a &#124; b"),
        ("one\ntwo\r\n\tthree", "one two three"),
        ("@octocat", "&#64;&#8203;octocat"),
        ("#1", "&#35;&#8203;1"),
        ("[x](javascript:alert(1))", "&#91;x&#93;&#40;javascript:alert&#40;1&#41;&#41;"),
        ("![i](u)", "&#33;&#91;i&#93;&#40;u&#41;"),
        ("`code`", "&#96;code&#96;"),
        ("-->", "--&gt;"),
        ("a & b", "a &amp; b"),
        ("https://x.y", "https:&#8203;//x.y"),
        ("WWW.x.y", "WWW&#8203;.x.y"),
        ("fixes GH-12", "fixes GH&#8203;-12"),
        ("a\u202eb\u200bc", "abc"),
        ("free", "free"),
        ("", "—"),
        (None, "—"),
        (" \n ", "—"),
    ],
)
def test_inline_text(text: str | None, expected: str) -> None:
    assert inline_text(text) == expected


def test_inline_text_limit_counts_characters_before_escaping() -> None:
    assert inline_text("<" * 10, limit=5) == "&lt;" * 4 + "…"
    assert inline_text("x" * MAX_TEXT) == "x" * MAX_TEXT


def test_table_has_a_rule_under_its_header() -> None:
    assert table(("a", "b"), [("1", "2")]) == ["| a | b |", "| --- | --- |", "| 1 | 2 |"]


def test_a_text_is_cut_at_300_characters_by_default() -> None:
    assert inline_text("x" * 300) == "x" * 300
    assert inline_text("x" * 301) == "x" * 299 + "…"


def test_a_cut_text_with_its_ellipsis_fits_the_limit() -> None:
    assert inline_text("abc", 2) == "a…"
    assert inline_text("abcdef", 4) == "abc…"
