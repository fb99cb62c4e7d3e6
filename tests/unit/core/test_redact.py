"""Scrub first, then cut: no piece of a secret survives in quoted text, wherever the cut falls."""

from __future__ import annotations

import pytest

from freegin_gitops.core.redact import (
    environment_secrets,
    excerpt,
    scrub,
    scrub_url,
    scrub_urls,
    url_credentials,
)

KEY = "gsk_9f8e7d6c5b4a39281706f5e4d3c2b1a0"


def pieces_of(secret: str, text: str, size: int = 4) -> list[str]:
    body = secret[4:]  # the public prefix (gsk_) may show
    return [body[i : i + size] for i in range(len(body) - size + 1) if body[i : i + size] in text]


def test_a_whole_secret_and_its_pieces_are_masked():
    assert scrub(f"bad key {KEY}!", [KEY]) == "bad key ***!"
    assert scrub(f"starts {KEY[:12]}, ends {KEY[-9:]}", [KEY]) == "starts ***, ends ***"
    assert scrub(f"middle {KEY[10:20]} only", [KEY]) == "middle *** only"
    assert scrub(f"{KEY}{KEY}", [KEY]) == "***"
    assert scrub("short pieces stay: gsk_9f8", [KEY]) == "short pieces stay: gsk_9f8"


def test_nothing_to_scrub_leaves_text_alone():
    assert scrub("plain", []) == "plain"
    assert scrub("plain", [None, ""]) == "plain"
    assert scrub("", [KEY]) == ""


@pytest.mark.parametrize("offset", range(0, 60))
def test_excerpt_never_shows_a_piece_of_a_key_straddling_the_cut(offset):
    text = "y" * (170 + offset) + KEY + " tail text " * 50
    quoted = excerpt(text, [KEY], 200)
    assert len(quoted) <= 203
    assert not pieces_of(KEY, quoted), quoted


@pytest.mark.parametrize("spaces", [0, 1, 5000, 100_000])
def test_excerpt_is_safe_when_whitespace_collapses_past_its_window(spaces):
    text = "a" + " " * spaces + "b" * 150 + KEY + "c" * 10
    quoted = excerpt(text, [KEY], 200)
    assert not pieces_of(KEY, quoted)


def test_excerpt_of_a_megabyte_is_one_short_line():
    text = ("line\n" * 200_000) + KEY
    quoted = excerpt(text, [KEY], 200)
    assert "\n" not in quoted
    assert quoted.endswith("...")
    assert len(quoted) == 203


def test_excerpt_keeps_short_text_whole():
    assert excerpt("  model   not\nfound  ", [KEY], 200) == "model not found"


def test_environment_secrets_are_the_values_of_secret_names():
    environ = {
        "GROQ_API_KEY": "gsk_abcdefgh12345678",
        "GITHUB_TOKEN": "ghp_abcdefgh12345678",
        "DB_PASSWORD": "correct-horse-battery",
        "SHORT_TOKEN": "abc",
        "HOME": "/home/someone-with-a-long-name",
        "KEYBOARD": "us-international-layout",
    }
    assert sorted(environment_secrets(environ)) == sorted(
        ["gsk_abcdefgh12345678", "ghp_abcdefgh12345678", "correct-horse-battery"]
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.groq.com/openai/v1", None),
        ("https://user:pw@api.example/v1", "a user name or password"),
        ("https://token@api.example/v1", "a user name or password"),
        ("https://generativelanguage.googleapis.com/v1beta?key=AIza", "the query parameter 'key'"),
        ("https://x.example/v1?api-version=2024-01&sig=abc", "the query parameter 'sig'"),
        ("https://x.example/v1?api-version=2024-01", None),
        ("https://api.cloudflare.com/client/v4/accounts/${ACCOUNT}/ai/v1", None),
    ],
)
def test_url_credentials(url, expected):
    assert url_credentials(url) == expected


def test_urls_are_shown_without_their_credentials():
    assert scrub_url("https://u:p@host/v1?key=abc&x=1") == "https://***@host/v1?key=***&x=1"
    assert scrub_url("https://host/v1") == "https://host/v1"
    assert (
        scrub_urls("fatal: unable to access 'https://x-access-token:ghs_abc@github.com/o/r.git/'")
        == "fatal: unable to access 'https://***@github.com/o/r.git/'"
    )


@pytest.mark.timeout(30)  # a scheme pattern tried at every word start took minutes on this
def test_scrubbing_urls_is_linear_on_hostile_text():
    hostile = "a." * 300_000 + " https://u:p@host/x " + "://" * 100_000 + "b" * 100_000
    scrubbed = scrub_urls(hostile)
    assert "https://***@host/x" in scrubbed and "u:p" not in scrubbed
    assert scrub_url("a." * 300_000 + "://u:p@h") == "a." * 300_000 + "://***@h"
