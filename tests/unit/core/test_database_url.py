"""``--db`` as a PostgreSQL URL: recognised, shown without its password, its secrets known."""

from __future__ import annotations

import pytest

from freegin_gitops.core.database_url import is_postgres_url, shown_url, url_secrets


@pytest.mark.parametrize(
    ("text", "postgres"),
    [
        ("postgresql://db/usage", True),
        ("postgres://db/usage", True),
        ("PostgreSQL://DB/usage", True),
        ("usage.sqlite", False),
        ("./postgresql/usage.db", False),
        ("mysql://db/usage", False),
    ],
)
def test_a_postgres_url_is_told_from_a_sqlite_file(text: str, postgres: bool) -> None:
    assert is_postgres_url(text) is postgres


def test_the_password_in_the_user_part_is_masked_and_the_rest_kept() -> None:
    url = "postgresql://ana:s3cret@db.example:5432/usage?sslmode=require"
    assert shown_url(url) == "postgresql://ana:***@db.example:5432/usage?sslmode=require"
    assert url_secrets(url) == ["s3cret"]


def test_a_user_without_a_password_is_shown_as_is() -> None:
    assert shown_url("postgresql://ana@db/usage") == "postgresql://ana@db/usage"
    assert url_secrets("postgresql://ana@db/usage") == []


def test_a_url_without_a_user_part_has_no_secret() -> None:
    assert (shown_url("postgresql://db/usage"), url_secrets("postgresql://db/usage")) == (
        "postgresql://db/usage",
        [],
    )


def test_a_password_holding_at_signs_and_slashes_is_masked_whole() -> None:
    url = "postgresql://ana:p@ss/w:rd@db/usage"
    assert shown_url(url) == "postgresql://ana:***@db/usage"
    assert url_secrets(url) == ["p@ss/w:rd"]


def test_password_parameters_are_masked_whatever_their_case_or_encoding() -> None:
    url = "postgresql://db/usage?sslmode=require&PASSWORD=one&ssl%70assword=two&user=ana"
    assert shown_url(url) == "postgresql://db/usage?sslmode=require&PASSWORD=***&ssl%70assword=***&user=ana"
    assert sorted(url_secrets(url)) == ["one", "two"]


def test_a_parameter_without_a_value_is_kept_as_written() -> None:
    assert shown_url("postgresql://db/u?password&password=&x=1") == "postgresql://db/u?password&password=&x=1"
    assert url_secrets("postgresql://db/u?password&password=") == []


def test_the_fragment_is_not_shown_and_an_empty_query_adds_nothing() -> None:
    assert shown_url("postgresql://ana:pw@db/u#frag") == "postgresql://ana:***@db/u"
    assert shown_url("postgresql://db/u?") == "postgresql://db/u"


def test_secrets_are_listed_as_written_and_decoded_longest_first() -> None:
    # a driver's error may echo either spelling; the longer is masked first, so that no part of
    # it is left showing after its shorter form is masked
    found = url_secrets("postgresql://ana:a%40b@db/u?password=xyzw%21")
    assert sorted(found) == sorted(["xyzw%21", "a%40b", "xyzw!", "a@b"])
    assert [len(s) for s in found] == [7, 5, 5, 3]
