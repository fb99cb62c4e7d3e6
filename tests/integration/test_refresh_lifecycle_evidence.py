"""The lifecycle evidence a reviewer decides from, end to end (real git repository with a bare
origin, a local OpenAI-speaking provider, the local GitHub, the real SQLite usage file): the usage
the router recorded for a model proposed deprecated, and a list that would deprecate more than half
of a provider's active models reported as suspect, in the output and the pull request, changing
no model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.test_refresh_lifecycle import (
    BETA_FILE,
    LONG_AGO,
    RECENTLY,
    git_init,
    models_on_branch,
    on_branch,
)
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_github import FakeGitHub
from tests.support.fake_openai import FakeOpenAI, Reply

NOTHING_BETTER = json.dumps([{"workload": "chat", "recommendations": []}])


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        fake.script("alpha", Reply.answer(NOTHING_BETTER), models=["a1"])
        fake.script("beta", responder=lambda body: Reply.answer(f"from {body['model']}"))
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
            LoopbackProvider("beta", llm.url("beta"), {"b1": ["chat"]}, "BETA_API_KEY"),
        ],
        git_init=False,
    )
    (root / "catalog/providers/beta.yaml").write_text(
        BETA_FILE.format(url=llm.url("beta"), long_ago=LONG_AGO, recently=RECENTLY)
    )
    git_init(root, tmp_path / "origin.git")
    monkeypatch.setenv("ALPHA_API_KEY", "sk-alpha-key-for-tests")
    monkeypatch.setenv("BETA_API_KEY", "sk-beta-key-for-tests")
    return root


def test_a_deprecation_shows_the_usage_the_router_recorded_for_the_model(cli, repo, llm, github):
    for _ in range(3):
        run = cli("--repo", repo, "ask", "hello", "--provider", "beta", "--model", "gone")
        assert run.code == 0, run.stderr
    llm.script("beta", models=["b1", "b2", "back"])  # gone is missing now
    run = cli("--repo", repo, "refresh-models", "beta", "--open-pr")
    assert run.code == 0, run.stderr
    assert models_on_branch(repo)["gone"]["status"] == "deprecated"
    body = github.open_pulls()[0].body or ""
    usage = body.split("Usage recorded by the router for the models leaving:", 1)[1]
    row = next(line for line in usage.splitlines() if line.startswith("| beta | gone | chat |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3:5] == ["3", "100.0%"]  # calls, success rate
    assert cells[5].endswith(" ms") and cells[7].endswith("Z")  # mean latency, last used
    old = next(line for line in usage.splitlines() if line.startswith("| beta | old | chat |"))
    assert [c.strip() for c in old.strip("|").split("|")][3] == "0"  # never used: said so


def test_a_list_that_would_deprecate_more_than_half_is_suspect_and_changes_no_model(cli, repo, llm, github):
    llm.script("beta", models=["b1", "new-one"])  # of b1, b2, gone: two of three would go
    run = cli("--repo", repo, "refresh-models", "beta", "--open-pr")
    assert run.code == 0, run.stderr
    why = "it would deprecate 2 of the provider's 3 active models (more than half)"
    assert f"suspect: {why}; nothing proposed for its models" in run.stderr
    assert "nothing to suggest for beta: no branch written" in run.stdout
    assert git_branches(repo) == ""
    assert github.open_pulls() == []


def test_a_suspect_list_is_in_the_pull_request_when_there_is_one(cli, repo, llm, github):
    llm.script("beta", models=["b1", "new-one"])
    recommend = [
        {"workload": "chat", "recommendations": [{"model": "new-one", "reason": "listed", "cost": "free"}]}
    ]
    llm.script("alpha", Reply.answer(json.dumps(recommend)))
    run = cli("--repo", repo, "refresh-models", "beta", "--open-pr")
    assert run.code == 0, run.stderr
    assert on_branch(repo, "catalog/providers/beta.yaml") == on_branch(
        repo, "catalog/providers/beta.yaml", "main"
    )
    body = github.open_pulls()[0].body or ""
    section = body.split("### Suspect model lists", 1)[1].split("\n### ", 1)[0]
    assert "- beta: it would deprecate 2 of the provider's 3 active models" in section
    providers = body.split("### Providers", 1)[1]
    assert "⚠️ suspect (2 model(s))" in providers


def git_branches(repo: Path) -> str:
    import subprocess

    return subprocess.run(
        ["git", "-C", str(repo), "branch", "--list", "freegin/*"], capture_output=True, text=True, check=True
    ).stdout
