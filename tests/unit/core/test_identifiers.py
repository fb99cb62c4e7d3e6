"""What a model id may hold, and which ids only look alike."""

from __future__ import annotations

import pytest

from freegin_gitops.core.identifiers import describe, id_problem, shown, skeleton


@pytest.mark.parametrize(
    "model",
    ["llama-3.3-70b-versatile", "meta-llama/Llama-3.3-70B-Instruct", "@cf/openai/gpt-oss-120b",
     "openrouter/model:free", "qwen3-coder:30b", "通义千问-max", "модель-1"],
)  # fmt: skip
def test_real_ids_pass(model: str) -> None:
    assert id_problem(model) is None


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ("", "is empty"),
        ("a b", "holds whitespace (U+0020 SPACE)"),
        ("a\u00a0b", "holds whitespace (U+00A0 NO-BREAK SPACE)"),
        ("a\x00b", "holds a control character (U+0000)"),
        ("a\x7fb", "holds a control character (U+007F)"),
        ("a\ud800b", "holds a lone surrogate (U+D800 SURROGATE), which is not text"),
        ("a\u200db", "holds an invisible character (U+200D ZERO WIDTH JOINER)"),
        ("a\u202eb", "holds an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)"),
        ("a\U000f0000b", "holds a private-use or unassigned character (U+F0000)"),
        ("gpt-4\u03bf", "mixes Greek and Latin letters, so it looks like an id it is not"),
    ],
)
def test_ids_that_cannot_be_ids(model: str, problem: str) -> None:
    assert id_problem(model) == problem


def test_skeletons_make_look_alikes_equal() -> None:
    assert skeleton("\u043e1-mini") == skeleton("o1-mini")  # Cyrillic о
    assert skeleton("ｇｐｔ-4") == skeleton("gpt-4")  # full-width letters (NFKC)
    assert skeleton("gpt-4") != skeleton("gpt-5")


def test_ids_are_shown_escaped_when_they_would_deceive() -> None:
    assert shown("llama-3") == "'llama-3'"
    assert shown("ll\u0430ma") == "'ll\\u0430ma'"
    assert shown("a\x00b") == "'a\\x00b'"
    assert describe("\u200b") == "U+200B ZERO WIDTH SPACE"


@pytest.mark.parametrize(
    ("ch", "described"),
    [
        ("\ud800", "U+D800 SURROGATE"),  # the first surrogate
        ("\udfff", "U+DFFF SURROGATE"),  # the last
        ("\ud7ff", "U+D7FF"),  # just before them: unassigned, no name
        ("\ue000", "U+E000"),  # just after them: private use, no name
    ],
)
def test_surrogates_are_described_as_such_and_nothing_beside_them_is(ch: str, described: str) -> None:
    assert describe(ch) == described
