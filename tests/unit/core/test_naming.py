"""The tail of an "unknown X" message: a close match, or the names that are known."""

from __future__ import annotations

from freegin_gitops.core.naming import did_you_mean

TWELVE = [f"model-{c}" for c in "abcdefghijkl"]


def test_a_close_match_is_suggested() -> None:
    assert did_you_mean("gorq", ["gemini", "groq", "openrouter"]) == "; did you mean 'groq'?"


def test_the_closest_of_several_matches_is_the_one_suggested() -> None:
    assert did_you_mean("chat", ["chats", "chat2x", "code"]) == "; did you mean 'chats'?"


def test_without_a_close_match_the_known_names_are_listed_sorted_once() -> None:
    assert did_you_mean("zzz", ["groq", "gemini", "groq"]) == " (known: gemini, groq)"


def test_twelve_known_names_are_all_shown() -> None:
    assert did_you_mean("zzz", TWELVE) == f" (known: {', '.join(TWELVE)})"


def test_past_twelve_names_the_list_is_cut_with_an_ellipsis() -> None:
    assert did_you_mean("zzz", [*TWELVE, "model-m"]) == f" (known: {', '.join(TWELVE)}, ...)"


def test_nothing_known_adds_nothing() -> None:
    assert did_you_mean("zzz", []) == ""
