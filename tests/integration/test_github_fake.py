"""The GitHub adapter against a real local server speaking the pulls and labels endpoints, with
every request checked against GitHub's own OpenAPI request schemas (made strict)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import jsonschema
import pytest

from freegin_gitops.adapters.github.pulls import GitHubPulls
from freegin_gitops.adapters.github.target import resolve_target
from freegin_gitops.core.catalog import ModelRef
from freegin_gitops.core.pr_body import PR_LABELS, parse_marker, pr_title, render_pr_body
from freegin_gitops.core.refresh_model import ProviderRefresh, RefreshReport, SuggestionChange
from freegin_gitops.errors import GitHubError
from tests.support.fake_github import OPERATIONS_FILE, Failure, FakeGitHub, strict

BRANCH = "freegin/refresh/all"


@pytest.fixture(params=["", "/api/v3"], ids=["github.com", "enterprise"])
def github(request: pytest.FixtureRequest) -> Iterator[FakeGitHub]:
    with FakeGitHub(prefix=request.param) as server:
        yield server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as c:
        yield c


def api(github: FakeGitHub, client: httpx.Client, token: str | None = None) -> GitHubPulls:
    return GitHubPulls(
        client, repository=github.full_name, token=token or github.token, api_url=github.api_url
    )


def report(rationale: str) -> RefreshReport:
    change = SuggestionChange("groq", "chat", "qwen/qwen3-32b", "added", rationale, True, "free")
    provider = ProviderRefresh("groq", ModelRef("groq", "llama"), "fetched", changes=(change,))
    return RefreshReport("all", BRANCH, "main", (provider,))


def assert_requests_fit_the_schemas(github: FakeGitHub) -> None:
    assert github.schema_errors == []
    operations = json.loads(OPERATIONS_FILE.read_text(encoding="utf-8"))["operations"]
    for recorded in github.calls():
        assert recorded.operation is not None, recorded.path
        schema = operations[recorded.operation]["request_body"]
        if schema is None:
            assert recorded.body is None
        else:
            jsonschema.Draft7Validator(strict(schema)).validate(recorded.body)


def test_open_or_update_creates_once_then_updates_the_same_pr(
    github: FakeGitHub, client: httpx.Client
) -> None:
    first, second = report("Fast, cheap @octocat <b>"), report("Now even better | #1")
    pulls = api(github, client)

    pull, action = pulls.open_or_update(BRANCH, "main", pr_title(first), render_pr_body(first), PR_LABELS)
    assert action == "created"
    assert pull.html_url == github.html_url(pull.number)
    again, action = pulls.open_or_update(BRANCH, "main", pr_title(second), render_pr_body(second), PR_LABELS)
    assert action == "updated"
    assert again == pull

    [stored] = github.open_pulls()
    assert (stored.number, stored.head, stored.base) == (pull.number, BRANCH, "main")
    assert stored.body == render_pr_body(second)
    assert parse_marker(stored.body) == ("all", second.digest())
    assert stored.labels == list(PR_LABELS)
    assert [r.operation for r in github.calls()] == [
        "pulls/list",
        "pulls/create",
        "issues/add-labels",
        "pulls/list",
        "pulls/update",
        "issues/add-labels",
    ]
    assert_requests_fit_the_schemas(github)
    for recorded in github.calls():
        assert recorded.headers["Authorization"] == f"Bearer {github.token}"
        assert recorded.headers["X-GitHub-Api-Version"] == "2022-11-28"
        assert recorded.path.startswith(f"{github.prefix}/repos/{github.full_name}/")


def test_find_open_sees_only_open_prs_of_the_branch(github: FakeGitHub, client: httpx.Client) -> None:
    github.add_pull(BRANCH, "main", state="closed")
    github.add_pull("someone/else", "main")
    pulls = api(github, client)
    assert pulls.find_open(BRANCH) is None
    pull, action = pulls.open_or_update(BRANCH, "main", "T", "B")
    assert action == "created"
    assert pulls.find_open(BRANCH, "main") == pull
    assert pulls.find_open(BRANCH, "other-base") is None
    assert len(github.open_pulls()) == 2
    assert_requests_fit_the_schemas(github)


def test_an_open_pr_into_another_base_is_retargeted_not_duplicated(
    github: FakeGitHub, client: httpx.Client
) -> None:
    existing = github.add_pull(BRANCH, "old-base")
    pull, action = api(github, client).open_or_update(BRANCH, "main", "T", "B")
    assert (pull.number, pull.base, action) == (existing.number, "main", "updated")
    assert len(github.open_pulls()) == 1
    assert_requests_fit_the_schemas(github)


def test_github_refuses_a_duplicate_open_pr(github: FakeGitHub, client: httpx.Client) -> None:
    pulls = api(github, client)
    pulls.create(BRANCH, "main", "T", "B")
    with pytest.raises(GitHubError, match=r"HTTP 422: Validation Failed; A pull request already"):
        pulls.create(BRANCH, "main", "T", "B")
    assert len(github.open_pulls()) == 1


def test_wrong_token_is_refused_and_never_shown(github: FakeGitHub, client: httpx.Client) -> None:
    wrong = "ghp_wrong0123456789abcdefWRONG"
    with pytest.raises(GitHubError, match=r"HTTP 401.*Bad credentials") as caught:
        api(github, client, token=wrong).open_or_update(BRANCH, "main", "T", "B")
    assert wrong not in str(caught.value) and github.token not in str(caught.value)
    assert github.pulls == {}


def test_no_authorization_header_is_answered_401(github: FakeGitHub, client: httpx.Client) -> None:
    response = client.get(f"{github.api_url}/repos/{github.full_name}/pulls")
    assert response.status_code == 401
    assert response.json()["message"] == "Requires authentication"


def test_the_fake_rejects_requests_that_do_not_fit_the_schemas(
    github: FakeGitHub, client: httpx.Client
) -> None:
    """So a typo in a field our adapter sends would fail the tests above."""
    headers = {"Authorization": f"Bearer {github.token}"}
    base = f"{github.api_url}/repos/{github.full_name}"
    typo = client.post(f"{base}/pulls", headers=headers, json={"titel": "T", "head": BRANCH, "base": "main"})
    wrong_type = client.post(
        f"{base}/pulls", headers=headers, json={"title": 1, "head": BRANCH, "base": "main"}
    )
    no_labels = client.post(f"{base}/issues/1/labels", headers=headers, json={"labels": []})
    bad_query = client.get(f"{base}/pulls", headers=headers, params={"stat": "open"})
    bad_state = client.get(f"{base}/pulls", headers=headers, params={"state": "opened"})
    assert [r.status_code for r in (typo, wrong_type, no_labels, bad_query, bad_state)] == [
        422,
        422,
        422,
        400,
        422,
    ]
    assert len(github.schema_errors) == 5
    assert "titel" in github.schema_errors[0]
    assert github.pulls == {}


def test_unknown_repository_is_a_404(github: FakeGitHub, client: httpx.Client) -> None:
    pulls = GitHubPulls(client, repository="octo-org/missing", token=github.token, api_url=github.api_url)
    with pytest.raises(GitHubError, match=r"octo-org/missing.*HTTP 404"):
        pulls.find_open(BRANCH)


def test_server_errors_and_odd_answers_are_reported(github: FakeGitHub, client: httpx.Client) -> None:
    github.fail_next("pulls/create", Failure(502, b"<html>Bad gateway</html>"))
    github.fail_next("issues/add-labels", Failure(200, b"not json"))
    pulls = api(github, client)
    with pytest.raises(GitHubError, match=r"could not create a pull request.*server error HTTP 502"):
        pulls.open_or_update(BRANCH, "main", "T", "B", ["x"])
    with pytest.raises(GitHubError, match=r"could not add labels to pull request #1.*not JSON"):
        pulls.open_or_update(BRANCH, "main", "T", "B", ["x"])


def test_connection_refused(client: httpx.Client) -> None:
    with FakeGitHub() as github:
        url, token = github.api_url, github.token
    pulls = GitHubPulls(client, repository="octo-org/catalog", token=token, api_url=url)
    with pytest.raises(GitHubError, match="cannot connect to") as caught:
        pulls.find_open(BRANCH)
    assert token not in str(caught.value)


def test_target_from_the_environment_reaches_the_server(github: FakeGitHub, client: httpx.Client) -> None:
    env = {"GITHUB_TOKEN": github.token, "GITHUB_API_URL": github.api_url}
    target = resolve_target(env, f"git@github.com:{github.full_name}.git")
    pull, action = target.pulls(client).open_or_update(BRANCH, "main", "T", "B", ["refresh"])
    assert action == "created"
    assert github.pulls[pull.number].labels == ["refresh"]
