"""Grounded refresh and the model lifecycle, end to end: a real git repository with a bare origin,
a provider on a local OpenAI-speaking server whose ``GET /models`` lists some ids, an LLM there
that answers with a mix of listed and invented ids, the local GitHub API, the real command line.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from freegin_gitops.adapters import yaml_read
from tests.support.catalogs import LoopbackProvider, provider_yaml, write_loopback_catalog
from tests.support.fake_github import FakeGitHub
from tests.support.fake_openai import FakeOpenAI, Reply

BRANCH = "freegin/refresh/beta"
TODAY = dt.datetime.now(dt.UTC).date()
LONG_AGO = (TODAY - dt.timedelta(days=30)).isoformat()
RECENTLY = (TODAY - dt.timedelta(days=5)).isoformat()


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def epoch(day: str) -> int:
    return int(dt.datetime.fromisoformat(day).replace(tzinfo=dt.UTC).timestamp())


# beta's GET /models: three of its catalog models, and new ones (the newest listed last on
# purpose: the prompt shows them newest first).
LISTED = [
    {"id": "b1", "created": epoch("2025-01-10")},
    {"id": "b2", "created": epoch("2025-02-10")},
    {"id": "back", "created": epoch("2025-03-10")},
    {"id": "new-old", "created": epoch("2025-04-01"), "context_window": 32768},
    {"id": "paid-one", "created": epoch("2025-05-01")},
    {"id": "new-newest", "created": epoch("2026-10-01"), "context_window": 131072},
    {"id": "nodate"},
]

BETA_FILE = """# yaml-language-server: $schema=../../schemas/provider.schema.json
provider: beta
name: Beta (loopback)
api:
  style: openai
  base_url: {url}
  api_key_env: BETA_API_KEY
models:
  - id: b1
    workloads: [chat]
    status: active
    added: 2025-01-01
  - id: b2
    workloads: [chat, code]
    status: active
    added: 2025-01-01
  # The provider dropped this one.
  - id: gone
    workloads: [chat]
    status: active
    added: 2025-01-01
  - id: old
    workloads: [chat]
    status: deprecated
    added: 2025-01-01
    deprecated: {long_ago}
    missing_since: {long_ago}
    reason: not in beta's model list (GET /models) on {long_ago}
  - id: recent
    workloads: [code]
    status: deprecated
    added: 2025-01-01
    deprecated: {recently}
    missing_since: {recently}
    reason: not in beta's model list (GET /models) on {recently}
  - id: back
    workloads: [code]
    status: deprecated
    added: 2025-01-01
    deprecated: {long_ago}
    missing_since: {long_ago}
    reason: not in beta's model list (GET /models) on {long_ago}
"""


def recommendations(*groups: tuple[str, list[tuple[str, str, str]]]) -> str:
    body = [
        {
            "workload": workload,
            "recommendations": [
                {"model": m, "reason": reason, "cost": cost, "speed": "fast"} for m, reason, cost in recs
            ],
        }
        for workload, recs in groups
    ]
    return f"Here you go:\n```json\n{json.dumps(body)}\n```"


MIXED = recommendations(
    (
        "chat",
        [
            ("new-newest", "The newest listed model, long context.", "free-quota"),
            ("made-up-model", "An id the LLM invented.", "free"),
            ("paid-one", "Listed, but not free.", "paid"),
        ],
    ),
    ("code", [("new-old", "Listed, good at code.", "free"), ("ghost-coder", "Also invented.", "free")]),
)


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
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
            LoopbackProvider(
                "alpha", llm.url("alpha"), {"a1": ["chat", "summarisation", "code"]}, "ALPHA_API_KEY"
            ),
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
    llm.script("alpha", Reply.answer(MIXED), models=["a1"])
    llm.script("beta", models=Reply(200, {"object": "list", "data": LISTED}))
    return root


def git_init(root: Path, origin: Path) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git(root, "add", "catalog")
    git(root, "commit", "-q", "-m", "catalog")
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main")


def on_branch(repo: Path, path: str, ref: str = BRANCH) -> Any:
    return yaml_read.parse(git(repo, "show", f"{ref}:{path}"))


def models_on_branch(repo: Path, ref: str = BRANCH) -> dict[str, dict[str, Any]]:
    return {m["id"]: m for m in on_branch(repo, "catalog/providers/beta.yaml", ref)["models"]}


def refresh(cli, repo: Path, *args: str):
    return cli("--repo", repo, "refresh-models", *args)


def prompts(llm: FakeOpenAI) -> list[str]:
    return [r.body["messages"][-1]["content"] for r in llm.calls("alpha")]


# -- the grounded prompt -----------------------------------------------------------------------


def test_the_prompt_carries_the_listed_ids_the_catalog_lacks_newest_first(cli, repo, llm):
    assert refresh(cli, repo, "beta").code == 0
    [prompt] = prompts(llm)
    listed = prompt.split("## Models the provider serves that the catalog does not hold yet", 1)[1]
    listed = listed.split("## What to return", 1)[0]
    shown = [line.split("`")[1] for line in listed.splitlines() if line.startswith("- `")]
    assert shown == ["new-newest", "paid-one", "new-old", "nodate"]
    assert "- `new-newest` (listed since 2026-10-01, context 131072)" in listed
    assert "Choose among these ids" in listed
    assert "b1" not in shown and "back" not in shown  # the catalog holds them
    # the list was fetched before the LLM was asked
    order = [(r.path.rsplit("/", 1)[-1], r.received) for r in llm.requests]
    assert order[0][0] == "models" and order[-1][0] == "completions"


def test_without_a_list_the_prompt_says_so(cli, repo, llm):
    llm.script("beta", models=Reply(503, {"error": {"message": "down"}}))
    run = refresh(cli, repo, "beta")
    assert run.code == 0, run.stderr
    [prompt] = prompts(llm)
    assert "could not be fetched, so there is none to choose from" in prompt
    assert "beta: " in run.stderr and "model list unavailable" in run.stderr
    suggestions = on_branch(repo, "catalog/suggestions/beta.yaml")["suggestions"]
    assert {s["verified"] for s in suggestions} == {None}  # nothing could be checked
    assert models_on_branch(repo) == models_on_branch(repo, "main")  # nor any model moved


# -- unlisted is not pending -------------------------------------------------------------------


def test_only_listed_ids_are_pending_and_invented_ones_are_in_the_pr_body_only(cli, repo, github):
    run = refresh(cli, repo, "beta", "--open-pr")
    assert run.code == 0, run.stderr
    suggestions = on_branch(repo, "catalog/suggestions/beta.yaml")["suggestions"]
    pending = {(s["workload"], s["model"]): s for s in suggestions if s["status"] == "pending"}
    assert set(pending) == {("chat", "new-newest"), ("code", "new-old")}
    assert {s["verified"] for s in pending.values()} == {True}
    assert pending[("chat", "new-newest")]["hints"] == {"context_window": 131072}
    branch_text = "".join(
        git(repo, "show", f"{BRANCH}:{path}")
        for path in git(repo, "ls-tree", "-r", "--name-only", BRANCH).split()
    )
    branch_text += git(repo, "log", "-1", "--format=%B", BRANCH)
    assert "made-up-model" not in branch_text and "ghost-coder" not in branch_text
    body = github.open_pulls()[0].body or ""
    not_served = body.split("### Not served by the provider", 1)[1].split("###", 1)[0]
    assert "made-up-model" in not_served and "ghost-coder" in not_served
    assert "An id the LLM invented." in not_served
    assert "new-newest" not in not_served


def test_a_cost_over_the_workloads_max_cost_is_reported_not_suggested(cli, repo, github):
    assert refresh(cli, repo, "beta", "--open-pr").code == 0
    suggestions = on_branch(repo, "catalog/suggestions/beta.yaml")["suggestions"]
    assert "paid-one" not in {s["model"] for s in suggestions}
    body = github.open_pulls()[0].body or ""
    assert "- beta · chat · paid-one: cost paid is over chat's max&#95;cost free-quota" in body


def test_an_answer_outside_the_closed_vocabulary_is_reported_and_nothing_written(cli, repo, llm):
    bad = MIXED.replace('"speed": "fast"', '"speed": "blazing"', 1)
    llm.script("alpha", Reply.answer(bad))
    run = refresh(cli, repo, "beta")
    assert run.code == 1
    assert "'blazing' is not one of" in run.stderr or '"blazing" is not one of' in run.stderr
    assert git(repo, "branch", "--list", "freegin/*") == ""


# -- the lifecycle -----------------------------------------------------------------------------


def test_a_missing_model_is_deprecated_not_retired_and_old_deprecations_retire(cli, repo, github):
    run = refresh(cli, repo, "beta", "--open-pr")
    assert run.code == 0, run.stderr
    models = models_on_branch(repo)
    gone = models["gone"]
    assert gone["status"] == "deprecated"  # not retired: a list wrong for a day retires nothing
    assert gone["deprecated"] == gone["missing_since"] == TODAY.isoformat()
    assert "retired" not in gone
    old = models["old"]
    assert (old["status"], old["retired"], old["deprecated"]) == ("retired", TODAY.isoformat(), LONG_AGO)
    assert "30 days; grace period 14 days" in old["reason"]
    assert models["recent"]["status"] == "deprecated"  # 5 days: still in its grace period
    assert models["recent"] == models_on_branch(repo, "main")["recent"]
    back = models["back"]
    assert back["status"] == "active" and not {"deprecated", "missing_since", "reason"} & set(back)
    assert models["b1"] == models_on_branch(repo, "main")["b1"]
    body = github.open_pulls()[0].body or ""
    for heading in ("### Proposed deprecations", "### Proposed retirements", "### Active again"):
        assert heading in body
    retired_row = next(line for line in body.splitlines() if line.startswith("| beta | old |"))
    assert f"{LONG_AGO} (30 days)" in retired_row
    assert "### How to decide" in body and "deprecate-model PROVIDER MODEL --successor" in body
    message = git(repo, "log", "-1", "--format=%B", BRANCH)
    assert "Deprecations:\n- beta/gone:" in message and "Retirements:\n- beta/old:" in message
    assert git(repo, "rev-parse", f"{BRANCH}^") == git(repo, "rev-parse", "main")


def test_the_grace_period_comes_from_the_config(cli, repo):
    config = repo / "catalog/config.yaml"
    config.write_text(config.read_text().replace("per_workload: 3}", "per_workload: 3, grace_days: 45}"))
    git(repo, "commit", "-qam", "longer grace period")
    assert refresh(cli, repo, "beta").code == 0
    assert models_on_branch(repo)["old"]["status"] == "deprecated"


def test_a_list_that_shares_nothing_with_the_catalog_changes_no_model(cli, repo, llm, github):
    llm.script("beta", models=["zz-1", "zz-2", "new-newest"])
    run = refresh(cli, repo, "beta", "--open-pr")
    assert run.code == 0, run.stderr
    assert "suspect: it holds none of the provider's 3 active model(s); nothing proposed" in run.stderr
    assert on_branch(repo, "catalog/providers/beta.yaml") == on_branch(
        repo, "catalog/providers/beta.yaml", "main"
    )
    assert git(repo, "diff", "--name-only", "main", BRANCH).split() == ["catalog/suggestions/beta.yaml"]
    body = github.open_pulls()[0].body or ""
    assert "### Suspect model lists" in body
    assert "Proposed deprecations" not in body


def test_a_suggestion_made_again_with_nothing_new_makes_no_commit(cli, repo, github):
    first = refresh(cli, repo, "beta", "--open-pr")
    assert first.code == 0, first.stderr
    git(repo, "merge", "-q", "--ff-only", BRANCH)  # the reviewer merged the pull request
    git(repo, "push", "-q", "origin", "main")
    github.pulls[1].state = "closed"
    git(repo, "branch", "-q", "-D", BRANCH)
    before = len(github.requests)
    again = refresh(cli, repo, "beta", "--open-pr")
    assert again.code == 0, again.stderr
    assert "nothing to suggest for beta: no branch written" in again.stdout
    assert git(repo, "branch", "--list", "freegin/*") == ""
    assert github.requests[before:] == []  # no pull request opened or updated


# -- keyless providers -------------------------------------------------------------------------


def test_a_provider_without_its_key_is_left_out_of_a_refresh_of_all_and_reported(cli, repo, llm, github):
    gamma = LoopbackProvider("gamma", llm.url("gamma"), {"g1": ["chat"]}, "GAMMA_API_KEY")
    (repo / "catalog/providers/gamma.yaml").write_text(provider_yaml(gamma))
    git(repo, "add", "catalog")
    git(repo, "commit", "-qm", "gamma")
    llm.script("gamma", models=["g1", "g2"])
    run = refresh(cli, repo, "--open-pr")
    assert run.code == 0, run.stderr
    assert "gamma: skipped: no API key: GAMMA_API_KEY is not set" in run.stderr
    assert llm.calls("gamma", "/models") == []
    assert all("catalog id `gamma`" not in p for p in prompts(llm))
    body = github.open_pulls()[0].body or ""
    section = body.split("### Providers left out (1)", 1)[1].split("###", 1)[0]
    assert "gamma: skipped: no API key: GAMMA&#95;API&#95;KEY is not set" in section
    llm.script("alpha", Reply.answer(recommendations(("chat", [("g2", "suggested at gamma", "free")]))))
    named = refresh(cli, repo, "gamma")  # named: refreshed anyway, unverified
    assert named.code == 0, named.stderr
    assert (
        "gamma: 1 suggestion; model list unavailable (no API key: GAMMA_API_KEY is not set)" in named.stderr
    )
    suggestions = on_branch(repo, "catalog/suggestions/gamma.yaml", "freegin/refresh/gamma")["suggestions"]
    assert [(s["model"], s["verified"]) for s in suggestions] == [("g2", None)]
