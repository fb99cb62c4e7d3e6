"""``--db`` as a PostgreSQL URL: recognised by its scheme, shown without its password, and the
secrets the store masks in the driver's messages, for every way a password can be written."""

from __future__ import annotations

import pytest

from freegin_gitops.core.database_url import is_postgres_url, shown_url, url_secrets


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://127.0.0.1/test", True),
        ("postgres://db.example/usage", True),
        ("PostgreSQL://DB/usage", True),
        ("postgresql:/no-slashes", False),
        ("usage.db", False),
        ("/var/lib/freegin/postgresql://x", False),
        ("sqlite:///usage.db", False),
        ("", False),
    ],
)
def test_a_postgresql_url_is_told_from_a_sqlite_file_by_its_scheme(text: str, expected: bool):
    assert is_postgres_url(text) is expected


@pytest.mark.parametrize(
    ("url", "shown", "secrets"),
    [
        ("postgresql://db.example:5432/usage", "postgresql://db.example:5432/usage", []),
        ("postgresql://ada@db/usage", "postgresql://ada@db/usage", []),
        ("postgresql://ada:hunter2@db/usage", "postgresql://ada:***@db/usage", ["hunter2"]),
        ("postgresql://ada:@db/usage", "postgresql://ada:***@db/usage", []),
        ("postgres://ada:pa%40ss@db/usage", "postgres://ada:***@db/usage", ["pa%40ss", "pa@ss"]),
        # Unencoded characters that end a part elsewhere in a URL are still the password's.
        ("postgresql://ada:p@ss@db/usage", "postgresql://ada:***@db/usage", ["p@ss"]),
        ("postgresql://ada:pa/ss@db/usage", "postgresql://ada:***@db/usage", ["pa/ss"]),
        ("postgresql://ada:pa?ss@db/usage", "postgresql://ada:***@db/usage", ["pa?ss"]),
        ("postgresql://ada:pa#ss@db/usage", "postgresql://ada:***@db/usage", ["pa#ss"]),
        ("postgresql://ada:a:b@db/usage", "postgresql://ada:***@db/usage", ["a:b"]),
        ("postgresql://ada:pa?x=1@db:5432", "postgresql://ada:***@db:5432", ["pa?x=1"]),
        (
            "postgresql://ada:pw@h1:5432,h2:5433/usage?sslmode=require",
            "postgresql://ada:***@h1:5432,h2:5433/usage?sslmode=require",
            ["pw"],
        ),
    ],
)
def test_the_password_of_the_user_part_is_masked_and_the_rest_kept(url: str, shown: str, secrets: list[str]):
    assert shown_url(url) == shown
    assert url_secrets(url) == secrets


@pytest.mark.parametrize(
    ("url", "shown", "secrets"),
    [
        (
            "postgresql://db/usage?password=hunter2&sslmode=require",
            "postgresql://db/usage?password=***&sslmode=require",
            ["hunter2"],
        ),
        (
            "postgresql://db/usage?sslpassword=key-pass&connect_timeout=3",
            "postgresql://db/usage?sslpassword=***&connect_timeout=3",
            ["key-pass"],
        ),
        ("postgresql://db/usage?PASSWORD=Up", "postgresql://db/usage?PASSWORD=***", ["Up"]),
        ("postgresql://db/usage?pass%77ord=enc", "postgresql://db/usage?pass%77ord=***", ["enc"]),
        ("postgresql://db/usage?password=a%26b", "postgresql://db/usage?password=***", ["a%26b", "a&b"]),
        # An "@" in the database name or the query is not the end of a user part.
        ("postgresql://db/usage?password=se@cret", "postgresql://db/usage?password=***", ["se@cret"]),
        ("postgresql://db?password=se@cret", "postgresql://db?password=***", ["se@cret"]),
        ("postgresql://db/us@ge", "postgresql://db/us@ge", []),
        # Both at once; an empty value and a bare name are shown as written.
        (
            "postgresql://ada:one@db/u?password=two&password=&password&user=ada",
            "postgresql://ada:***@db/u?password=***&password=&password&user=ada",
            ["one", "two"],
        ),
    ],
)
def test_password_parameters_of_the_query_are_masked(url: str, shown: str, secrets: list[str]):
    assert shown_url(url) == shown
    assert url_secrets(url) == secrets


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://ada:hunter2-secret@db/usage",
        "postgresql://ada:hunter2-@secret@db/usage",
        "postgresql://ada:hunter2/secret@db/usage",
        "postgresql://ada:hunter2?secret@db/usage?sslmode=disable",
        "postgresql://ada:hunter2#secret@db/usage",
        "postgresql://ada:hunter2%2Fsecret@db/usage",
        "postgresql://db/usage?password=hunter2-secret",
        "postgresql://db/usage?sslmode=disable&password=hunter2?secret@x",
        "postgresql://ada:hunter2 secret@127.0.0.1:5432/test",
    ],
)
def test_no_piece_of_a_password_is_ever_shown(url: str):
    shown = shown_url(url)
    assert "hunter2" not in shown and "secret" not in shown, shown
    assert "***" in shown
    assert any("hunter2" in s for s in url_secrets(url))


def test_the_longest_secret_comes_first_so_it_is_masked_whole():
    assert url_secrets("postgresql://ada:ab@db/u?password=abcdef") == ["abcdef", "ab"]


def test_a_text_without_a_scheme_is_shown_as_it_is_unless_it_holds_a_password():
    assert shown_url("db.example/usage") == "db.example/usage"
    assert shown_url("ada:pw@db.example/usage") == "ada:***@db.example/usage"


@pytest.mark.parametrize(
    ("url", "shown", "secrets"),
    [
        # an "@" first in the user part: an empty user name, or one that begins with "@"
        ("postgresql://@localhost", "postgresql://@localhost", []),
        ("postgresql://@localhost/usage", "postgresql://@localhost/usage", []),
        ("postgresql://@admin:hunter2@db/usage", "postgresql://@admin:***@db/usage", ["hunter2"]),
        ("postgresql://:hunter2@db/usage", "postgresql://:***@db/usage", ["hunter2"]),
        # a scheme with no name: what follows "://" is still read as a URL
        ("://ada:hunter2@db/usage", "://ada:***@db/usage", ["hunter2"]),
    ],
)
def test_the_user_part_is_found_when_it_starts_the_url(url: str, shown: str, secrets: list[str]):
    assert shown_url(url) == shown
    assert url_secrets(url) == secrets
