"""Scrubbing at its exact edges: the shortest secret and piece masked, overlapping and repeated
occurrences, several secrets in any order, the start of a secret where text is cut, the window
and the limit of an excerpt, a blank secret query value."""

from __future__ import annotations

from freegin_gitops.core.redact import (
    MIN_FRAGMENT,
    environment_secrets,
    excerpt,
    scrub,
    url_credentials,
)


def test_a_piece_of_exactly_min_fragment_characters_is_masked() -> None:
    assert MIN_FRAGMENT == 8
    assert scrub("echo: cdefghij.", ["abcdefghijklmnop"]) == "echo: ***."
    assert scrub("echo: cdefghi.", ["abcdefghijklmnop"]) == "echo: cdefghi."


def test_variables_of_eight_characters_or_more_are_secrets() -> None:
    environ = {"A_KEY": "12345678", "B_TOKEN": "1234567", "PLAIN": "123456789"}
    assert environment_secrets(environ) == ["12345678"]


def test_a_short_secret_is_masked_whole_and_overlapping_occurrences_merge() -> None:
    assert scrub("k=abcdefgh!", ["abcdefgh"]) == "k=***!"
    assert scrub("aaaaaaaaa", ["aaaaaaaa"]) == "***"
    assert scrub("aaaaaaaaa", ["aaaaaaaaaa"]) == "***"  # pieces of a longer secret overlap too


def test_secrets_of_two_characters_count() -> None:
    assert scrub("a zq b", ["zq"]) == "a *** b"
    assert scrub("a z b", ["z"]) == "a z b"


def test_every_occurrence_of_several_secrets_is_masked_wherever_they_stand() -> None:
    text = "first SHORTSEC, then LONGERSECRET1, then SHORTSEC again"
    assert scrub(text, ["SHORTSEC", "LONGERSECRET1"]) == "first ***, then ***, then *** again"


def test_where_text_is_cut_the_start_of_a_secret_is_masked() -> None:
    secret = "abcdefg"
    assert scrub("x abcdef", [secret], cut_after=True) == "x ***"
    assert scrub("x abcde", [secret], cut_after=True) == "x ***"
    assert scrub("x ab", [secret], cut_after=True) == "x ***"
    assert scrub("x a", [secret], cut_after=True) == "x a"
    assert scrub("x abcdef", [secret]) == "x abcdef"  # not cut: nothing follows


def test_an_excerpt_of_whole_text_within_the_limit_is_kept_as_it_is() -> None:
    assert excerpt("x" * 10, [], 10) == "x" * 10
    assert excerpt("x" * 11, [], 10) == "x" * 10 + "..."
    assert excerpt("error sk", ["sk-abcdef12345"], 100) == "error sk"


def test_an_excerpt_cut_at_its_limit_masks_a_start_of_a_secret_left_at_the_cut() -> None:
    assert excerpt("please skip this", ["sk-abcdefghijkl"], 9) == "please ***..."


def test_an_excerpt_reads_a_window_of_eight_times_the_limit_and_4096_characters() -> None:
    limit = 10
    window = 8 * limit + 4096
    assert excerpt("a" + " " * (window - 2) + "b", [], limit) == "a b"
    assert excerpt("a" + " " * (window - 1) + "b", [], limit) == "a..."


def test_a_blank_secret_query_value_is_still_a_credential() -> None:
    assert url_credentials("https://h.example/v1?key=") == "the query parameter 'key'"
