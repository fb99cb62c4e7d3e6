"""Limits learned from headers, end to end: ``ask`` calls a local OpenAI-speaking provider whose
answers carry ``x-ratelimit-limit-*`` headers (recorded in a real SQLite file); ``refresh-models``
then proposes correcting the catalog limits they contradict, on the refresh branch of a real git
repository with a bare origin, with the evidence in the pull request opened on the local GitHub."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from freegin_gitops.adapters import yaml_read
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_github import FakeGitHub
from tests.support.fake_openai import FakeOpenAI, Reply

BRANCH = "freegin/refresh/beta"
NOTHING_BETTER = json.dumps([{"workload": "chat", "recommendations": []}])

# What beta's answers say about its limits, per model.
HEADERS = {
    "b1": {  # Cerebras style: the window is in the name
        "x-ratelimit-limit-requests-day": "14400",
        "x-ratelimit-remaining-requests-day": "14399",
        "x-ratelimit-limit-tokens-minute": "60000",  # b1 declares no token limit: nothing to correct
    },
    "b2": {  # OpenAI/Groq style: bare names
        "x-ratelimit-limit-requests": "1000",  # agrees with b2's requests_per_day
        "x-ratelimit-limit-tokens": "12000",  # b2 declares tokens_per_minute 6000
    },
    "b3": {"x-ratelimit-limit-requests": "900"},  # neither b3's 1000/day nor beta's 30/minute
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def headers() -> dict[str, dict[str, str]]:
    """What beta's answers carry from now on (a test may change it)."""
    return {model: dict(values) for model, values in HEADERS.items()}


@pytest.fixture
def llm(headers: dict[str, dict[str, str]]) -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.script("alpha", Reply.answer(NOTHING_BETTER), models=["a1"])

        def beta(body: dict) -> Reply:
            reply = Reply.answer(f"from {body['model']}")
            reply.headers.update(headers[body["model"]])
            return reply

        fake.script("beta", responder=beta, models=["b1", "b2", "b3"])
        yield fake


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    with FakeGitHub(repository="octo-org/catalog") as fake:
        monkeypatch.setenv("GITHUB_TOKEN", fake.token)
        monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
        monkeypatch.setenv("GITHUB_REPOSITORY", fake.full_name)
        yield fake


@pytest.fixture
def repo(tmp_path: Path, llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider("alpha", llm.url("alpha"), {"a1": ["chat"]}, "ALPHA_API_KEY"),
            LoopbackProvider(
                "beta",
                llm.url("beta"),
                {"b1": ["chat"], "b2": ["chat"], "b3": ["chat"]},
                "BETA_API_KEY",
                limits="{requests_per_minute: 30}",
                model_limits={
                    "b1": "{requests_per_day: 1000}",
                    "b2": "{requests_per_day: 1000, tokens_per_minute: 6000}",
                    "b3": "{requests_per_day: 1000}",
                },
            ),
        ],
    )
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main")
    monkeypatch.setenv("ALPHA_API_KEY", "sk-alpha-key-for-tests")
    monkeypatch.setenv("BETA_API_KEY", "sk-beta-key-for-tests")
    return root


def ask_each(cli, repo: Path) -> None:
    for model in ("b1", "b2", "b3"):
        run = cli("--repo", repo, "ask", "hello", "--provider", "beta", "--model", model)
        assert run.code == 0, run.stderr


def beta_on(repo: Path, ref: str) -> dict:
    return yaml_read.parse(git(repo, "show", f"{ref}:catalog/providers/beta.yaml"))


def limits_of(doc: dict) -> dict[str, dict]:
    return {"beta": doc["limits"], **{m["id"]: m["limits"] for m in doc["models"]}}


def test_refresh_proposes_the_limits_the_headers_contradict_with_the_evidence(cli, repo, github):
    ask_each(cli, repo)
    run = cli("--repo", repo, "refresh-models", "beta", "--open-pr")
    assert run.code == 0, run.stderr
    assert "beta: 2 limit corrections; model list fetched (3 model(s))" in run.stderr
    assert "1 reported limit(s) that disagree but could not be told apart" in run.stderr

    assert limits_of(beta_on(repo, BRANCH)) == {
        "beta": {"requests_per_minute": 30},
        "b1": {"requests_per_day": 14400},
        "b2": {"requests_per_day": 1000, "tokens_per_minute": 12000},
        "b3": {"requests_per_day": 1000},
    }
    diff = git(repo, "diff", "--unified=0", "main", BRANCH, "--", "catalog/providers/beta.yaml")
    changed = [line for line in diff.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert changed == [
        "-    limits: {requests_per_day: 1000}",
        "+    limits: {requests_per_day: 14400}",
        "-    limits: {requests_per_day: 1000, tokens_per_minute: 6000}",
        "+    limits: {requests_per_day: 1000, tokens_per_minute: 12000}",
    ]
    assert git(repo, "diff", "--name-only", "main", BRANCH).split() == ["catalog/providers/beta.yaml"]
    assert git(repo, "rev-parse", f"{BRANCH}^") == git(repo, "rev-parse", "main")
    assert git(repo, "rev-parse", BRANCH) == git(
        repo, "--git-dir", str(repo.parent / "origin.git"), "rev-parse", BRANCH
    )
    message = git(repo, "log", "-1", "--format=%B", BRANCH)
    assert (
        "Limit corrections:\n- beta/b1: requests_per_day 1000 -> 14400 (x-ratelimit-limit-requests-day"
        in message
    )

    (pull,) = github.open_pulls()
    assert "2 limit corrections" in pull.title
    body = pull.body or ""
    section = body.split("### Limit corrections (2)", 1)[1].split("\n### ", 1)[0]
    b1 = next(line for line in section.splitlines() if line.startswith("| beta | b1 |"))
    assert "| `requests_per_day` | 1,000 | 14,400 |" in b1
    assert "x-ratelimit-limit-requests-day: 14400 on b1, seen " in b1
    b2 = next(line for line in section.splitlines() if line.startswith("| beta | b2 |"))
    assert "| `tokens_per_minute` | 6,000 | 12,000 |" in b2 and "x-ratelimit-limit-tokens: 12000 on b2" in b2
    assert "- beta/b3: x-ratelimit-limit-requests 900 &#40;on b3&#41; matches none of" in section
    assert "It also corrects **2** catalog limit(s)" in body


def test_a_limit_that_agrees_or_headers_never_seen_propose_nothing(cli, repo, headers):
    run = cli("--repo", repo, "refresh-models", "beta")  # nothing asked yet: no headers recorded
    assert run.code == 0, run.stderr
    assert "nothing to suggest for beta: no branch written" in run.stdout
    headers["b1"]["x-ratelimit-limit-requests-day"] = "1000"
    headers["b2"]["x-ratelimit-limit-tokens"] = "6000"
    headers["b3"]["x-ratelimit-limit-requests"] = "30"
    ask_each(cli, repo)
    again = cli("--repo", repo, "refresh-models", "beta")
    assert again.code == 0, again.stderr
    assert "nothing to suggest for beta: no branch written" in again.stdout
    assert git(repo, "branch", "--list", "freegin/*") == ""


def test_the_next_refresh_after_merging_proposes_nothing_more(cli, repo, github):
    ask_each(cli, repo)
    assert cli("--repo", repo, "refresh-models", "beta", "--open-pr").code == 0
    git(repo, "merge", "-q", "--ff-only", BRANCH)  # the reviewer merged the pull request
    git(repo, "push", "-q", "origin", "main")
    github.pulls[1].state = "closed"
    git(repo, "branch", "-q", "-D", BRANCH)
    again = cli("--repo", repo, "refresh-models", "beta", "--open-pr")
    assert again.code == 0, again.stderr
    assert "nothing to suggest for beta: no branch written" in again.stdout
    assert cli("--repo", repo, "validate").code == 0
