"""The GitHub pulls adapter over httpx.MockTransport: requests sent, answers read, every failure
mapped to one GitHubError sentence that names the repository and never shows the token."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from freegin_gitops.adapters.github.pulls import GitHubPulls, PullRequest
from freegin_gitops.errors import GitHubError

TOKEN = "ghp_unit0123456789abcdefSECRET"
REPO = "octo-org/catalog"
BRANCH = "freegin/refresh/all"
Handler = Callable[[httpx.Request], httpx.Response]


def pr_json(
    number: int = 7, head: str = BRANCH, base: str = "main", owner: str = "octo-org", state: str = "open"
) -> dict[str, Any]:
    return {
        "number": number,
        "state": state,
        "title": "t",
        "body": "b",
        "html_url": f"https://github.com/{REPO}/pull/{number}",
        "head": {"ref": head, "label": f"{owner}:{head}"},
        "base": {"ref": base, "label": f"octo-org:{base}"},
    }


def pulls(handler: Handler, api_url: str = "https://api.github.com") -> GitHubPulls:
    client = httpx.Client(transport=httpx.MockTransport(handler))
    return GitHubPulls(client, repository=REPO, token=TOKEN, api_url=api_url)


class Recorder:
    """A scripted handler: answers in order, records every request."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0)

    def bodies(self) -> list[Any]:
        return [json.loads(r.content) if r.content else None for r in self.requests]

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, str(r.url)) for r in self.requests]


def test_headers_and_enterprise_url() -> None:
    rec = Recorder(httpx.Response(200, json=[]))
    assert pulls(rec, "https://ghe.example/api/v3/").find_open(BRANCH) is None
    request = rec.requests[0]
    assert request.url.copy_with(query=None) == "https://ghe.example/api/v3/repos/octo-org/catalog/pulls"
    assert dict(request.url.params) == {"state": "open", "head": f"octo-org:{BRANCH}", "per_page": "100"}
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert request.headers["User-Agent"].startswith("freegin-ai/")


def test_find_open_filters_by_base_and_ignores_other_heads() -> None:
    """GitHub ignores a head filter it cannot parse: the answer is checked, not trusted."""
    answer = [
        pr_json(1, head="other"),
        pr_json(2, owner="fork-owner"),
        pr_json(3, base="dev"),
        pr_json(4, state="closed"),
        pr_json(5),
    ]
    rec = Recorder(httpx.Response(200, json=answer))
    found = pulls(rec).find_open(BRANCH, "main")
    assert found == PullRequest(5, f"https://github.com/{REPO}/pull/5", "open", BRANCH, "main")
    assert rec.requests[0].url.params["base"] == "main"


def test_create_sends_title_head_base_body() -> None:
    rec = Recorder(httpx.Response(201, json=pr_json(9)))
    pull = pulls(rec).create(BRANCH, "main", "Title", "Body")
    assert pull.number == 9
    assert rec.calls() == [("POST", f"https://api.github.com/repos/{REPO}/pulls")]
    assert rec.bodies() == [{"title": "Title", "head": BRANCH, "base": "main", "body": "Body"}]


def test_update_sends_only_title_and_body_unless_retargeted() -> None:
    rec = Recorder(httpx.Response(200, json=pr_json(9)), httpx.Response(200, json=pr_json(9)))
    api = pulls(rec)
    api.update(9, "T", "B")
    api.update(9, "T", "B", base="dev")
    assert [m for m, _ in rec.calls()] == ["PATCH", "PATCH"]
    assert rec.requests[0].url == f"https://api.github.com/repos/{REPO}/pulls/9"
    assert rec.bodies() == [{"title": "T", "body": "B"}, {"title": "T", "body": "B", "base": "dev"}]


def test_add_labels_and_no_request_for_no_labels() -> None:
    rec = Recorder(httpx.Response(200, json=[{"name": "a"}, {"name": "b"}]))
    api = pulls(rec)
    api.add_labels(9, [])
    api.add_labels(9, ["a", "b"])
    assert rec.calls() == [("POST", f"https://api.github.com/repos/{REPO}/issues/9/labels")]
    assert rec.bodies() == [{"labels": ["a", "b"]}]


def test_open_or_update_creates_when_none_is_open() -> None:
    rec = Recorder(
        httpx.Response(200, json=[]),
        httpx.Response(201, json=pr_json(3)),
        httpx.Response(200, json=[{"name": "x"}]),
    )
    pull, action = pulls(rec).open_or_update(BRANCH, "main", "T", "B", ["x"])
    assert (pull.number, action) == (3, "created")
    assert [m for m, _ in rec.calls()] == ["GET", "POST", "POST"]


def test_open_or_update_updates_the_open_one() -> None:
    rec = Recorder(httpx.Response(200, json=[pr_json(3)]), httpx.Response(200, json=pr_json(3)))
    pull, action = pulls(rec).open_or_update(BRANCH, "main", "T", "B")
    assert (pull.number, action) == (3, "updated")
    assert rec.calls()[1] == ("PATCH", f"https://api.github.com/repos/{REPO}/pulls/3")
    assert rec.bodies()[1] == {"title": "T", "body": "B"}


def test_open_or_update_retargets_an_open_pr_with_another_base() -> None:
    rec = Recorder(
        httpx.Response(200, json=[pr_json(3, base="old")]), httpx.Response(200, json=pr_json(3, base="main"))
    )
    pull, action = pulls(rec).open_or_update(BRANCH, "main", "T", "B")
    assert (pull.base, action) == ("main", "updated")
    assert rec.bodies()[1] == {"title": "T", "body": "B", "base": "main"}


def test_open_or_update_prefers_the_pr_into_the_same_base() -> None:
    rec = Recorder(
        httpx.Response(200, json=[pr_json(4, base="dev"), pr_json(3)]), httpx.Response(200, json=pr_json(3))
    )
    pulls(rec).open_or_update(BRANCH, "main", "T", "B")
    assert rec.requests[1].url.path.endswith("/pulls/3")


def test_open_or_update_survives_a_pr_opened_meanwhile() -> None:
    """Another run opened the PR between our look-up and our create: GitHub answers 422."""
    exists = {
        "message": "Validation Failed",
        "errors": [
            {
                "resource": "PullRequest",
                "code": "custom",
                "message": f"A pull request already exists for octo-org:{BRANCH}.",
            }
        ],
    }
    rec = Recorder(
        httpx.Response(200, json=[]),
        httpx.Response(422, json=exists),
        httpx.Response(200, json=[pr_json(5)]),
        httpx.Response(200, json=pr_json(5)),
    )
    pull, action = pulls(rec).open_or_update(BRANCH, "main", "T", "B")
    assert (pull.number, action) == (5, "updated")
    assert [m for m, _ in rec.calls()] == ["GET", "POST", "GET", "PATCH"]


def test_open_or_update_reports_the_create_failure_when_nothing_is_open() -> None:
    rec = Recorder(
        httpx.Response(200, json=[]),
        httpx.Response(
            422, json={"message": "Validation Failed", "errors": [{"field": "head", "code": "invalid"}]}
        ),
        httpx.Response(200, json=[]),
    )
    with pytest.raises(GitHubError, match=r"could not create a pull request.*HTTP 422.*invalid"):
        pulls(rec).open_or_update(BRANCH, "main", "T", "B")


def test_open_or_update_keeps_the_first_error_when_the_retry_fails_too() -> None:
    rec = Recorder(
        httpx.Response(200, json=[]),
        httpx.Response(403, json={"message": "Forbidden"}),
        httpx.Response(500, text="boom"),
    )
    with pytest.raises(GitHubError, match=r"could not create a pull request.*HTTP 403"):
        pulls(rec).open_or_update(BRANCH, "main", "T", "B")


def raise_(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def answer(
    status: int, body: Any = None, headers: dict[str, str] | None = None, text: str | None = None
) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if text is not None:
            return httpx.Response(status, text=text, headers=headers)
        return httpx.Response(status, json=body, headers=headers)

    return handler


FAILURES: dict[str, tuple[Handler, str]] = {
    "connect": (raise_(httpx.ConnectError("refused")), "cannot connect to https://api.github.com"),
    "timeout": (raise_(httpx.ReadTimeout("slow")), r"timed out: the exchange took longer than 60 s"),
    "401": (
        answer(401, {"message": "Bad credentials"}),
        "HTTP 401, the token was refused; check GITHUB_TOKEN: Bad credentials",
    ),
    "403": (
        answer(403, {"message": "Resource not accessible by integration"}),
        "HTTP 403, the workflow's token lacks a permission: the job needs permissions: pull-requests: "
        "write.*Resource not accessible by integration",
    ),
    "403-actions-setting": (
        answer(403, {"message": "GitHub Actions is not permitted to create or approve pull requests."}),
        'Allow GitHub Actions to create and approve pull requests" in Settings > Actions > General',
    ),
    "403-pat": (
        answer(403, {"message": "Resource not accessible by personal access token"}),
        "the personal access token lacks a permission: a fine-grained token needs Pull requests",
    ),
    "403-other": (
        answer(403, {"message": "Forbidden"}),
        "it needs pull-requests: write .and, under GitHub Actions",
    ),
    "403-rate": (
        answer(403, {"message": "API rate limit exceeded"}, {"x-ratelimit-remaining": "0"}),
        "rate limited, HTTP 403: API rate limit exceeded",
    ),
    "404": (answer(404, {"message": "Not Found"}), "HTTP 404, the repository does not exist"),
    "422": (
        answer(
            422,
            {
                "message": "Validation Failed",
                "errors": [
                    {"resource": "PullRequest", "code": "custom", "message": "No commits between main and x"}
                ],
            },
        ),
        "HTTP 422: Validation Failed; No commits between main and x",
    ),
    "500": (
        answer(500, text="<html>\n<h1>oops</h1>\n</html>"),
        "GitHub server error HTTP 500: <html> <h1>oops</h1> </html>",
    ),
    "not-json": (answer(200, text="<html>login</html>"), "the answer is not JSON, HTTP 200"),
    "not-a-list": (answer(200, {"message": "hi"}), "not the expected list of pull requests"),
    "not-a-pr": (answer(200, [{"number": "1"}]), "not the expected pull request JSON"),
    "string-number": (answer(200, [{**pr_json(), "number": "7"}]), "not the expected pull request JSON"),
    "null-head": (answer(200, [{**pr_json(), "head": None}]), "not the expected pull request JSON"),
}


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_failures_become_one_github_error_sentence(name: str) -> None:
    handler, expected = FAILURES[name]
    with pytest.raises(GitHubError, match=expected) as caught:
        pulls(handler).find_open(BRANCH)
    message = str(caught.value)
    assert message.startswith(f"GitHub repository {REPO}: could not list the open pull requests")
    assert message.endswith(".") and "\n" not in message
    assert TOKEN not in message
    assert caught.value.__cause__ is None or isinstance(caught.value.__cause__, GitHubError)


@pytest.mark.parametrize("call", ["create", "update", "add_labels"])
def test_write_failures_name_what_failed(call: str) -> None:
    api = pulls(answer(404, {"message": "Not Found"}))
    with pytest.raises(GitHubError) as caught:
        if call == "create":
            api.create(BRANCH, "main", "T", "B")
        elif call == "update":
            api.update(12, "T", "B")
        else:
            api.add_labels(12, ["x"])
    expected = {
        "create": f"could not create a pull request from {BRANCH} into main",
        "update": "could not update pull request #12",
        "add_labels": "could not add labels to pull request #12",
    }[call]
    assert expected in str(caught.value)


def test_labels_answer_must_be_a_list() -> None:
    with pytest.raises(GitHubError, match="expected list of labels"):
        pulls(answer(200, {"labels": []})).add_labels(1, ["x"])


def test_the_token_is_scrubbed_even_when_github_echoes_it() -> None:
    handler = answer(422, {"message": f"token {TOKEN} is odd", "errors": [f"again {TOKEN}"]})
    with pytest.raises(GitHubError) as caught:
        pulls(handler).create(BRANCH, "main", "T", "B")
    assert TOKEN not in str(caught.value)
    assert TOKEN[:8] not in str(caught.value)
    assert "***" in str(caught.value)


def test_long_error_texts_are_shortened() -> None:
    with pytest.raises(GitHubError) as caught:
        pulls(answer(422, {"message": "x" * 5000})).find_open(BRANCH)
    assert len(str(caught.value)) < 600


@pytest.mark.parametrize("repository", ["catalog", "o/r/x", "/r", "o/"])
def test_repository_must_be_owner_slash_name(repository: str) -> None:
    with pytest.raises(GitHubError, match="owner/name"):
        pulls_client = httpx.Client(transport=httpx.MockTransport(answer(200, [])))
        GitHubPulls(pulls_client, repository=repository, token=TOKEN)


def test_pull_request_is_frozen() -> None:
    pull = PullRequest(1, "u", "open", "h", "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        pull.number = 2  # type: ignore[misc]


def test_redirects_are_followed_for_a_renamed_repository() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith(f"/repos/{REPO}"):
            return httpx.Response(301, headers={"Location": "https://api.github.com/repositories/42/pulls"})
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        return httpx.Response(200, json=[pr_json(2)])

    assert pulls(handler).find_open(BRANCH) is not None
