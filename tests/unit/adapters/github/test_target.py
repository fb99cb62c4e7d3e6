"""Where a refresh PR goes: remote URLs parsed, the environment read, bad input refused."""

from __future__ import annotations

import httpx
import pytest

from freegin_gitops.adapters.github.pulls import GitHubPulls
from freegin_gitops.adapters.github.target import (
    DEFAULT_API_URL,
    GitHubTarget,
    RemoteRepository,
    parse_remote_url,
    parse_repository,
    resolve_target,
)
from freegin_gitops.errors import GitHubError

TOKEN = "ghp_target0123456789abcdefTOKEN"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://github.com/octo-org/catalog.git", ("github.com", "octo-org", "catalog")),
        ("https://github.com/octo-org/catalog", ("github.com", "octo-org", "catalog")),
        ("https://github.com/octo-org/catalog/", ("github.com", "octo-org", "catalog")),
        ("https://GitHub.com/Octo-Org/Catalog.git", ("github.com", "Octo-Org", "Catalog")),
        ("http://github.com/o/r.git", ("github.com", "o", "r")),
        ("git@github.com:octo-org/catalog.git", ("github.com", "octo-org", "catalog")),
        ("git@github.com:octo-org/catalog", ("github.com", "octo-org", "catalog")),
        ("github.com:o/r.git", ("github.com", "o", "r")),
        ("ssh://git@ghe.example:2222/o/r.git", ("ghe.example", "o", "r")),
        ("ssh://git@github.com/o/r", ("github.com", "o", "r")),
        ("git+ssh://git@github.com/o/r.git", ("github.com", "o", "r")),
        ("git://github.com/o/r.git", ("github.com", "o", "r")),
        ("https://user@ghe.example/o/r", ("ghe.example", "o", "r")),
        ("https://user:secret@github.com/o/r.git", ("github.com", "o", "r")),
        ("https://x-access-token:ghs_abc@github.com/o/my.repo.git", ("github.com", "o", "my.repo")),
        ("https://github.com/o/r_1-2.git\n", ("github.com", "o", "r_1-2")),
    ],
)
def test_parse_remote_url(url: str, expected: tuple[str, str, str]) -> None:
    assert parse_remote_url(url) == RemoteRepository(*expected)


@pytest.mark.parametrize(
    "url",
    [
        "/srv/git/catalog.git",
        "../origin.git",
        "file:///srv/git/o/r.git",
        "https://github.com/o",
        "https://github.com/o/r/extra",
        "https://gitlab.example/group/sub/r.git",
        "https://github.com/o/..",
        "https://github.com//r.git",
        "git@github.com:/o/r.git",
        "ftp://github.com/o/r.git",
        "https://github.com:notaport/o/r.git",
        "https://github.com/o/r?x=1#frag",
        "git@github.com:o/r w.git",
        "",
        "C:\\repos\\catalog",
    ],
)
def test_parse_remote_url_refuses_what_is_not_owner_name(url: str) -> None:
    with pytest.raises(GitHubError, match="GITHUB_REPOSITORY"):
        parse_remote_url(url)


def test_messages_never_repeat_credentials_from_the_url() -> None:
    with pytest.raises(GitHubError) as caught:
        parse_remote_url("https://x-access-token:ghs_secret123@github.com/o/r/extra.git")
    assert "ghs_secret123" not in str(caught.value)
    assert "x-access-token" not in str(caught.value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("octo-org/catalog", ("octo-org", "catalog")),
        (" o/r.js ", ("o", "r.js")),
    ],
)
def test_parse_repository(value: str, expected: tuple[str, str]) -> None:
    assert parse_repository(value) == expected


@pytest.mark.parametrize("value", ["catalog", "o/r/x", "/r", "o/", "o/..", "o r/x", "-o/r"])
def test_parse_repository_refuses(value: str) -> None:
    with pytest.raises(GitHubError, match="owner/name"):
        parse_repository(value)


def test_repository_from_the_environment_wins_over_origin() -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "octo-org/catalog"}
    target = resolve_target(env, "git@github.com:someone/else.git")
    assert target == GitHubTarget(DEFAULT_API_URL, "octo-org/catalog", TOKEN)


def test_repository_from_origin() -> None:
    target = resolve_target({"GITHUB_TOKEN": TOKEN}, "https://github.com/o/r.git")
    assert (target.api_url, target.repository) == ("https://api.github.com", "o/r")


def test_enterprise_api_url_is_taken_from_the_environment() -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": "https://ghe.example/api/v3/"}
    target = resolve_target(env, "ssh://git@ghe.example:2222/o/r.git")
    assert (target.api_url, target.repository) == ("https://ghe.example/api/v3", "o/r")


def test_a_remote_off_github_needs_an_explicit_api_url() -> None:
    """The token must not be sent to an API URL guessed from a remote."""
    with pytest.raises(GitHubError, match=r"ghe\.example.*GITHUB_API_URL.*https://ghe\.example/api/v3"):
        resolve_target({"GITHUB_TOKEN": TOKEN}, "git@ghe.example:o/r.git")


@pytest.mark.parametrize("env", [{}, {"GITHUB_TOKEN": ""}, {"GITHUB_TOKEN": "  "}])
def test_missing_token_tells_the_user_to_set_it(env: dict[str, str]) -> None:
    with pytest.raises(GitHubError, match="GITHUB_TOKEN is not set"):
        resolve_target({**env, "GITHUB_REPOSITORY": "o/r"}, None)


def test_token_with_control_characters_is_refused_without_echoing_it() -> None:
    with pytest.raises(GitHubError) as caught:
        resolve_target({"GITHUB_TOKEN": "ghp_abc\r\nX-Evil: 1", "GITHUB_REPOSITORY": "o/r"}, None)
    assert "ghp_abc" not in str(caught.value)


def test_no_repository_anywhere() -> None:
    with pytest.raises(GitHubError, match=r"no origin remote.*GITHUB_REPOSITORY"):
        resolve_target({"GITHUB_TOKEN": TOKEN}, None)


def test_bad_repository_variable() -> None:
    with pytest.raises(GitHubError, match="GITHUB_REPOSITORY 'catalog'"):
        resolve_target({"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "catalog"}, None)


@pytest.mark.parametrize(
    ("api_url", "message"),
    [
        ("ghe.example/api/v3", "not an http"),
        ("ftp://ghe.example/api/v3", "not an http"),
        ("https://ghe.example/api/v3?x=1", "not an http"),
        ("https://user:pw@ghe.example/api/v3", "must not contain a user"),
        ("http://ghe.example/api/v3", "plain http"),
    ],
)
def test_bad_api_url(api_url: str, message: str) -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": api_url}
    with pytest.raises(GitHubError, match=message) as caught:
        resolve_target(env, None)
    assert "user:pw" not in str(caught.value)


@pytest.mark.parametrize(
    "api_url", ["http://127.0.0.1:8080", "http://localhost/api/v3", "http://[::1]:9000/"]
)
def test_plain_http_is_accepted_on_loopback(api_url: str) -> None:
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "o/r", "GITHUB_API_URL": api_url}
    assert resolve_target(env, None).api_url == api_url.rstrip("/")


def test_the_token_is_not_in_the_targets_repr() -> None:
    target = resolve_target({"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": "o/r"}, None)
    assert TOKEN not in repr(target)


def test_target_builds_the_pulls_api() -> None:
    target = GitHubTarget("https://ghe.example/api/v3", "o/r", TOKEN)
    with httpx.Client() as client:
        pulls = target.pulls(client)
    assert isinstance(pulls, GitHubPulls)
    assert pulls.repository == "o/r"
