"""refresh-models end to end: a real git repository with a bare origin and a dirty checkout, an
LLM and model lists on a local OpenAI-speaking server, a local GitHub API, the real command line."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from freegin_gitops.adapters import yaml_read
from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
from tests.support.fake_github import FakeGitHub
from tests.support.fake_openai import FakeOpenAI, Reply

BRANCH = "freegin/refresh/beta"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def answer(*groups: tuple[str, list[tuple[str, str]]]) -> str:
    """An LLM answer the way models write them: prose, a fenced JSON array, more prose."""
    body = [
        {
            "workload": w,
            "recommendations": [{"model": m, "reason": r, "cost": "free", "speed": "fast"} for m, r in recs],
        }
        for w, recs in groups
    ]
    return f"Sure! Here are my picks.\n\n```json\n{json.dumps(body, indent=2)}\n```\n\nLet me know."


HOSTILE = "Great for chat <script>alert(1)</script> | cc @octocat, see #1 and [x](javascript:alert(1))"
ANSWER = answer(
    ("chat", [("b2", HOSTILE), ("b1", "already active"), ("nope", "was rejected")]),
    ("code", [("ghost-coder", "invented by the LLM")]),
)


@pytest.fixture
def llm() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(repository="octo-org/catalog") as fake:
        yield fake


@pytest.fixture
def repo(tmp_path: Path, llm: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_loopback_catalog(
        tmp_path / "repo",
        [
            LoopbackProvider(
                "alpha", llm.url("alpha"), {"a1": ["chat", "summarisation", "code"]}, "ALPHA_API_KEY"
            ),
            LoopbackProvider("beta", llm.url("beta"), {"b1": ["chat"], "dropped": ["code"]}, "BETA_API_KEY"),
        ],
    )
    (root / "catalog/suggestions/beta.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/suggestions.schema.json\n"
        "suggestions:\n"
        "  - model: nope\n    workload: chat\n    rationale: tried it\n    status: rejected\n"
        "    reason: too slow\n    created_at: 2026-10-01T00:00:00Z\n    updated_at: 2026-10-02T00:00:00Z\n"
    )
    git(root, "add", "catalog")
    git(root, "commit", "-q", "-m", "rejected suggestion")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git(root, "remote", "add", "origin", str(origin))
    git(root, "push", "-q", "origin", "main")
    monkeypatch.setenv("ALPHA_API_KEY", "sk-alpha-key-for-tests")
    monkeypatch.setenv("BETA_API_KEY", "sk-beta-key-for-tests")
    llm.script("alpha", Reply.answer(ANSWER))
    llm.script("beta", models=["b1", "b2", "nope"])
    return root


@pytest.fixture
def dirty(repo: Path) -> dict[str, Any]:
    """Uncommitted work in the user's checkout: a modified tracked file, a staged change, an
    untracked file; returns a snapshot to compare with afterwards."""
    (repo / "catalog/providers/alpha.yaml").write_text(
        (repo / "catalog/providers/alpha.yaml").read_text() + "# my note\n"
    )
    (repo / "notes.txt").write_text("work in progress\n")
    (repo / "staged.txt").write_text("staged\n")
    git(repo, "add", "staged.txt")
    return snapshot(repo)


def snapshot(repo: Path) -> dict[str, Any]:
    files = {
        str(p.relative_to(repo)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in repo.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    return {
        "files": files,
        "head": git(repo, "rev-parse", "HEAD"),
        "branch": git(repo, "symbolic-ref", "HEAD"),
        "status": git(repo, "status", "--porcelain"),
        "index": (repo / ".git/index").read_bytes(),
    }


def on_branch(repo: Path, ref: str, path: str) -> Any:
    return yaml_read.parse(git(repo, "show", f"{ref}:{path}"))


def refresh(cli, repo: Path, *args: str):
    return cli("--repo", repo, "refresh-models", *args)


def test_suggestions_land_on_the_branch_in_origin_with_verified_flags(cli, repo, dirty):
    run = refresh(cli, repo, "beta", "--push")
    assert run.code == 0, run.stderr
    assert f"{BRANCH}: created" in run.stdout
    origin = repo.parent / "origin.git"
    suggestions = on_branch(origin, BRANCH, "catalog/suggestions/beta.yaml")["suggestions"]
    pending = {(s["workload"], s["model"]): s for s in suggestions if s["status"] == "pending"}
    assert set(pending) == {("chat", "b2")}  # ghost-coder is not listed: not written
    assert pending[("chat", "b2")]["verified"] is True
    assert pending[("chat", "b2")]["source"] == {"provider": "alpha", "model": "a1"}
    rejected = [s for s in suggestions if s["model"] == "nope"]
    assert [s["status"] for s in rejected] == ["rejected"]  # never comes back


def test_keep_unlisted_writes_the_unlisted_recommendation_as_not_verified(cli, repo):
    assert refresh(cli, repo, "beta", "--keep-unlisted").code == 0
    suggestions = on_branch(repo, BRANCH, "catalog/suggestions/beta.yaml")["suggestions"]
    pending = {s["model"]: s["verified"] for s in suggestions if s["status"] == "pending"}
    assert pending == {"b2": True, "ghost-coder": False}


def test_an_active_model_the_provider_no_longer_lists_is_proposed_deprecated(cli, repo, dirty):
    assert refresh(cli, repo, "beta").code == 0
    models = {m["id"]: m for m in on_branch(repo, BRANCH, "catalog/providers/beta.yaml")["models"]}
    assert models["dropped"]["status"] == "deprecated"
    assert models["dropped"]["deprecated"] == models["dropped"]["missing_since"]
    assert "not in beta's model list" in models["dropped"]["reason"]
    assert models["b1"]["status"] == "active"


def test_the_users_checkout_head_and_branch_are_untouched(cli, repo, dirty):
    assert refresh(cli, repo, "beta", "--push").code == 0
    assert snapshot(repo) == dirty


def test_the_branch_commit_is_valid_and_lists_the_changes(cli, repo, dirty, tmp_path):
    assert refresh(cli, repo, "beta").code == 0
    message = git(repo, "log", "-1", "--format=%B", BRANCH)
    assert "beta/b2 for chat (added, listed)" in message
    assert "beta/dropped" in message
    assert git(repo, "rev-parse", f"{BRANCH}^") == git(repo, "rev-parse", "main")
    checkout = tmp_path / "check"
    git(repo, "worktree", "add", "-q", str(checkout), BRANCH)
    assert cli("--repo", checkout, "validate").code == 0


def test_a_pull_request_is_opened_then_updated_not_duplicated(cli, repo, dirty, github, monkeypatch, llm):
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_REPOSITORY", github.full_name)
    first = refresh(cli, repo, "beta", "--open-pr")
    assert first.code == 0, first.stderr
    assert "pull request created" in first.stdout
    llm.script("alpha", Reply.answer(answer(("chat", [("b2", "still good"), ("b3", "new")]))))
    llm.script("beta", models=["b1", "b2", "b3", "dropped"])
    second = refresh(cli, repo, "beta", "--open-pr")
    assert second.code == 0, second.stderr
    assert "pull request updated" in second.stdout
    pulls = github.open_pulls()
    assert len(pulls) == 1
    assert (pulls[0].head, pulls[0].base) == (BRANCH, "main")
    assert set(pulls[0].labels) >= {"freegin-ai", "model-refresh"}
    assert github.schema_errors == []
    assert "b3" in (pulls[0].body or "")


def test_the_pr_body_tabulates_suggestions_with_the_llm_text_escaped(cli, repo, github, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_REPOSITORY", github.full_name)
    assert refresh(cli, repo, "beta", "--open-pr").code == 0
    body = github.open_pulls()[0].body or ""
    assert "<script>" not in body
    assert "@octocat" not in body
    assert "](javascript:" not in body
    row = next(line for line in body.splitlines() if "b2" in line and line.startswith("|"))
    header = next(line for line in body.splitlines() if line.startswith("|") and "rationale" in line.lower())
    assert row.count("|") - row.count("\\|") == header.count("|")
    assert re.search(r"<!-- freegin-ai:refresh scope=beta digest=[0-9a-f]{64} -->", body)


def test_a_second_run_with_the_same_answer_changes_nothing(cli, repo, dirty):
    assert refresh(cli, repo, "beta", "--push").code == 0
    tip = git(repo, "rev-parse", BRANCH)
    second = refresh(cli, repo, "beta", "--push")
    assert second.code == 0
    assert f"{BRANCH}: unchanged" in second.stdout
    assert git(repo, "rev-parse", BRANCH) == tip
    assert git(repo.parent / "origin.git", "rev-parse", BRANCH) == tip
    assert git(repo, "branch", "--list", "freegin/*").split() == [BRANCH]


def test_a_new_answer_replaces_the_refresh_commit_on_the_same_branch(cli, repo, llm):
    assert refresh(cli, repo, "beta", "--push").code == 0
    llm.script("alpha", Reply.answer(answer(("chat", [("b3", "newer")]))))
    llm.script("beta", models=["b1", "b3"])
    assert refresh(cli, repo, "beta", "--push").code == 0
    assert git(repo, "rev-list", "--count", f"main..{BRANCH}").strip() == "1"
    pending = [
        s["model"]
        for s in on_branch(repo, BRANCH, "catalog/suggestions/beta.yaml")["suggestions"]
        if s["status"] == "pending"
    ]
    assert pending == ["b3"]


def test_a_human_commit_on_the_branch_is_never_overwritten(cli, repo, tmp_path):
    assert refresh(cli, repo, "beta", "--push").code == 0
    other = tmp_path / "colleague"
    subprocess.run(
        ["git", "clone", "-q", "-b", BRANCH, str(repo.parent / "origin.git"), str(other)], check=True
    )
    (other / "catalog/suggestions/beta.yaml").write_text(
        (other / "catalog/suggestions/beta.yaml").read_text() + "# reviewed\n"
    )
    git(other, "commit", "-q", "-am", "Reviewer's fix")
    git(other, "push", "-q", "origin", BRANCH)
    theirs = git(other, "rev-parse", "HEAD")
    for strict in ([], ["--strict"]):  # someone reviewing is not a failure, even with --strict
        run = refresh(cli, repo, "beta", "--push", *strict)
        assert run.code == 0, run.stderr
        assert "not made by freegin-ai refresh" in run.stderr and "Reviewer's fix" in run.stderr
        assert run.stdout == ""
        assert git(repo.parent / "origin.git", "rev-parse", BRANCH) == theirs


def test_a_human_commit_on_the_local_branch_is_a_notice(cli, repo):
    assert refresh(cli, repo, "beta").code == 0
    git(repo, "worktree", "add", "-q", str(repo.parent / "review"), BRANCH)
    review = repo.parent / "review"
    (review / "notes.md").write_text("looked at it\n")
    git(review, "add", "notes.md")
    git(review, "commit", "-q", "-m", "Review notes")
    git(repo, "worktree", "remove", str(review))
    tip = git(repo, "rev-parse", BRANCH)
    run = refresh(cli, repo, "beta")
    assert (run.code, "the local branch freegin/refresh/beta has 1 commit(s)" in run.stderr) == (0, True)
    assert git(repo, "rev-parse", BRANCH) == tip


def test_under_github_actions_a_skipped_branch_is_a_notice_annotation(cli, repo, monkeypatch):
    """The run's summary page says why no pull request moved; it stays a success."""
    assert refresh(cli, repo, "beta").code == 0
    git(repo, "worktree", "add", "-q", str(repo.parent / "review"), BRANCH)
    review = repo.parent / "review"
    (review / "notes.md").write_text("looked at it\n")
    git(review, "add", "notes.md")
    git(review, "commit", "-q", "-m", "Review notes")
    git(repo, "worktree", "remove", str(review))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run = refresh(cli, repo, "beta", "--strict")
    assert run.code == 0, run.stderr
    (notice,) = run.stdout.splitlines()
    assert notice.startswith("::notice title=freegin-ai refresh::the local branch freegin/refresh/beta has 1")


def two_answers(good: str, bad: str) -> dict[str, str]:
    return {"alpha": bad, "beta": good}


@pytest.fixture
def half_bad(tmp_path: Path) -> Path:
    """Saved answers: a good one for beta, an unusable one for alpha."""
    saved = tmp_path / "answers.json"
    saved.write_text(json.dumps(two_answers(answer(("chat", [("b2", "good")])), "I cannot help with that.")))
    return saved


def test_a_partial_failure_exits_0_with_a_warning_and_proposes_the_rest(cli, repo, half_bad):
    run = refresh(cli, repo, "--from-file", str(half_bad))
    assert run.code == 0, run.stderr
    assert "freegin/refresh/all: created" in run.stdout
    assert "freegin-ai: warning: 1 of 2 provider(s) could not be refreshed (alpha)" in run.stderr
    assert "::warning" not in run.stdout  # annotations only under GitHub Actions
    items = on_branch(repo, "freegin/refresh/all", "catalog/suggestions/beta.yaml")["suggestions"]
    assert "b2" in [s["model"] for s in items]


def test_under_github_actions_each_failure_is_a_warning_annotation(cli, repo, half_bad, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    run = refresh(cli, repo, "--from-file", str(half_bad))
    assert run.code == 0
    (warning,) = [line for line in run.stdout.splitlines() if line.startswith("::warning")]
    assert warning.startswith("::warning title=freegin-ai refresh::alpha was not refreshed: ")


def test_strict_fails_on_any_failure(cli, repo, half_bad):
    run = refresh(cli, repo, "--from-file", str(half_bad), "--strict")
    assert run.code == 1
    assert "refresh failed (--strict): 1 of 2 provider(s) could not be refreshed (alpha)" in run.stderr


def test_every_provider_failing_exits_1(cli, repo, tmp_path):
    saved = tmp_path / "answers.json"
    saved.write_text(json.dumps(two_answers("nothing useful", "I cannot help with that.")))
    before = git(repo, "for-each-ref")
    run = refresh(cli, repo, "--from-file", str(saved))
    assert run.code == 1
    assert "refresh failed: 2 of 2 provider(s) could not be refreshed (alpha, beta)" in run.stderr
    assert git(repo, "for-each-ref") == before


def test_the_pull_request_lists_the_providers_that_failed(cli, repo, half_bad, github, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_REPOSITORY", github.full_name)
    assert refresh(cli, repo, "--from-file", str(half_bad), "--open-pr").code == 0
    body = github.open_pulls()[0].body or ""
    section = body[body.index("### ⚠️ Providers that could not be refreshed (1)") :]
    assert section.splitlines()[4].startswith("- alpha: ")


@pytest.mark.parametrize(
    ("message", "hint"),
    [
        (
            "GitHub Actions is not permitted to create or approve pull requests.",
            'tick "Allow GitHub Actions to create and approve pull requests"',
        ),
        ("Resource not accessible by integration", "the job needs permissions: pull-requests: write"),
    ],
)
def test_a_403_names_the_missing_setting_and_says_the_push_happened(
    cli, repo, github, monkeypatch, message, hint
):
    from tests.support.fake_github import Failure

    monkeypatch.setenv("GITHUB_TOKEN", github.token)
    monkeypatch.setenv("GITHUB_API_URL", github.api_url)
    monkeypatch.setenv("GITHUB_REPOSITORY", github.full_name)
    github.fail_next("pulls/create", Failure(403, {"message": message}))
    run = refresh(cli, repo, "beta", "--open-pr")
    assert run.code == 1
    assert run.stdout.startswith(f"{BRANCH}: created ") and "; pushed to origin" in run.stdout
    assert hint in run.stderr
    tip = git(repo, "rev-parse", BRANCH)
    assert f"The branch {BRANCH} was pushed to origin ({tip[:12]})" in run.stderr
    assert git(repo.parent / "origin.git", "rev-parse", BRANCH) == tip


@pytest.mark.parametrize(
    "bad",
    [
        "I cannot help with that.",
        '```json\n{"workload": "chat", "recommendations": [{"model": "x"}]}\n```',
        '{"workload": "chat", "recommendations": "b2"}',
        '{"workload": "chat", "recommendations": [{"model": "x", "reason": "y",}]}',
        "",
    ],
)
def test_a_bad_answer_is_reported_and_nothing_is_written(cli, repo, llm, bad):
    llm.script("alpha", Reply.answer(bad) if bad else Reply(200, {"choices": [{"message": {"content": ""}}]}))
    before = git(repo, "for-each-ref")
    run = refresh(cli, repo, "beta", "--push")
    assert run.code == 1
    assert "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 2  # the progress line and one sentence
    assert git(repo, "for-each-ref") == before


def test_dry_run_prints_the_change_and_writes_nothing(cli, repo, dirty):
    run = refresh(cli, repo, "beta", "--dry-run")
    assert run.code == 0
    assert "suggest beta/b2 for chat" in run.stdout
    assert "+++ b/catalog/suggestions/beta.yaml" in run.stdout
    assert git(repo, "branch", "--list", "freegin/*") == ""
    assert snapshot(repo) == dirty


def test_from_file_uses_a_saved_answer_and_calls_no_llm(cli, repo, llm, tmp_path):
    saved = tmp_path / "answer.txt"
    saved.write_text(answer(("chat", [("b2", "from a file")])))
    run = refresh(cli, repo, "beta", "--from-file", str(saved))
    assert run.code == 0, run.stderr
    assert llm.calls("alpha") == []
    assert (
        on_branch(repo, BRANCH, "catalog/suggestions/beta.yaml")["suggestions"][-1]["rationale"]
        == "from a file"
    )


def test_all_providers_are_asked_concurrently_on_one_branch(cli, repo, llm):
    def respond(body: dict[str, Any]) -> Reply:
        prompt = body["messages"][-1]["content"]
        provider = "alpha" if "catalog id `alpha`" in prompt else "beta"
        return Reply.answer(answer(("chat", [(f"{provider}-new", f"new at {provider}")])))

    llm.script("alpha", responder=respond, models=["a1", "alpha-new"])
    llm.script("beta", models=["b1", "dropped", "beta-new"])
    run = refresh(cli, repo)
    assert run.code == 0, run.stderr
    assert "freegin/refresh/all: created" in run.stdout
    for provider in ("alpha", "beta"):
        items = on_branch(repo, "freegin/refresh/all", f"catalog/suggestions/{provider}.yaml")["suggestions"]
        assert f"{provider}-new" in [s["model"] for s in items]


def test_refresh_calls_are_recorded_as_usage(cli, repo):
    import os
    import sqlite3

    assert refresh(cli, repo, "beta").code == 0
    with sqlite3.connect(os.environ["FREEGIN_DB"]) as conn:
        rows = conn.execute("SELECT provider, model, workload, success FROM provider_usage").fetchall()
    assert rows == [("alpha", "a1", "refresh", 1)]


def test_unknown_provider_is_one_clear_error(cli, repo):
    run = refresh(cli, repo, "btea")
    assert run.code == 1
    assert "unknown provider 'btea'; did you mean 'beta'?" in run.stderr


def test_open_pr_without_a_token_fails_before_any_work(cli, repo, llm):
    run = refresh(cli, repo, "beta", "--open-pr")
    assert run.code == 1
    assert "GITHUB_TOKEN" in run.stderr
    assert llm.requests == []


def test_refresh_refuses_to_move_the_branch_the_user_is_on(cli, repo, llm):
    assert refresh(cli, repo, "beta").code == 0
    git(repo, "checkout", "-q", BRANCH)
    tip = git(repo, "rev-parse", BRANCH)
    before = len(llm.requests)
    run = refresh(cli, repo, "beta", "--base", "main")
    assert run.code == 1
    assert f"{BRANCH} is checked out in" in run.stderr
    assert git(repo, "rev-parse", BRANCH) == tip
    assert git(repo, "status", "--porcelain") == ""
    assert len(llm.requests) == before  # refused before asking anything


@pytest.mark.parametrize("remote", ["git", "ssh", "http-push"])
def test_a_remote_that_accepts_and_never_answers_ends_at_the_git_deadline(cli, repo, monkeypatch, remote):
    """A real TCP listener that never says a word (git://, or the push URL over http:// while
    ls-remote and fetch reach the real origin), or an ssh that never returns."""
    from tests.support.hostile_http import silent_listener

    monkeypatch.setenv("FREEGIN_GIT_TIMEOUT_S", "1")
    with silent_listener() as (host, port):
        if remote == "git":
            git(repo, "remote", "set-url", "origin", f"git://{host}:{port}/catalog.git")
        elif remote == "http-push":
            git(repo, "config", "remote.origin.pushurl", f"http://{host}:{port}/catalog.git")
        else:
            git(repo, "remote", "set-url", "origin", "ssh://git@example.invalid/catalog.git")
            monkeypatch.setenv("GIT_SSH_COMMAND", "sh -c 'sleep 600' --")
        run = refresh(cli, repo, "beta", "--push")
    assert run.code == 1
    command = "push" if remote == "http-push" else "ls-remote"
    assert run.stderr.splitlines()[-1] == (
        f"freegin-ai: git {command} did not finish within 1 seconds in {repo} (FREEGIN_GIT_TIMEOUT_S); "
        "it was stopped"
    )
    assert "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        (
            json.dumps({"workload": "chat", "recommendations": [{"model": "b2\u0000evil", "reason": "r"}]}),
            "$.recommendations[0].model: the model id 'b2\\x00evil' holds a control character (U+0000)",
        ),
        ("[" * 100_000, "is nested deeper than 32 levels"),
        ("{" * 1_000_000, "is nested deeper than 32 levels"),
        (
            '{"models": ["b2", "b3"]}',
            "is not the expected shape: it holds an object with the key(s) 'models'",
        ),
        (
            json.dumps({"workload": "chatt", "recommendations": [{"model": "b2", "reason": "r"}]}),
            "is for workload(s) 'chatt', which catalog/workloads.yaml does not define",
        ),
    ],
)
def test_a_hostile_answer_is_one_sentence_and_writes_nothing(cli, repo, llm, bad, says):
    llm.script("alpha", Reply.answer(bad))
    before = git(repo, "for-each-ref")
    run = refresh(cli, repo, "beta", "--push")
    assert run.code == 1
    assert says in run.stderr
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr
    assert git(repo, "for-each-ref") == before


def test_a_saved_answer_that_is_not_an_answer_is_not_taken_for_answers_by_provider(cli, repo, tmp_path):
    saved = tmp_path / "models.json"
    saved.write_text('{"models": [{"id": "b2"}]}')
    run = refresh(cli, repo, "beta", "--from-file", str(saved))
    assert run.code == 1
    assert "the answer from the saved answer is not the expected shape" in run.stderr
    assert "have none for provider" not in run.stderr


def test_recommendations_for_an_unknown_workload_are_reported(cli, repo, llm):
    llm.script("alpha", Reply.answer(answer(("chat", [("b2", "good")]), ("chatt", [("b3", "typo")]))))
    run = refresh(cli, repo, "beta")
    assert run.code == 0, run.stderr
    assert "beta: 1 suggestion, " in run.stderr
    assert "recommendations for unknown workload(s) 'chatt' left out" in run.stderr


def test_a_saved_answer_over_the_size_cap_is_refused(cli, repo, tmp_path, monkeypatch):
    saved = tmp_path / "big.txt"
    saved.write_text("x" * 2048)
    monkeypatch.setenv("FREEGIN_MAX_RESPONSE_BYTES", "1k")
    run = refresh(cli, repo, "beta", "--from-file", str(saved))
    assert run.code == 1
    assert (
        run.stderr
        == f"freegin-ai: the saved answer {saved} is larger than 1024 bytes (FREEGIN_MAX_RESPONSE_BYTES)\n"
    )


@pytest.mark.parametrize("change", ["files", "message"])
def test_an_amended_refresh_commit_that_keeps_its_trailer_is_never_overwritten(
    cli, repo, llm, tmp_path, change
):
    assert refresh(cli, repo, "beta", "--push").code == 0
    other = tmp_path / "colleague"
    subprocess.run(
        ["git", "clone", "-q", "-b", BRANCH, str(repo.parent / "origin.git"), str(other)], check=True
    )
    message = git(other, "log", "-1", "--format=%B")
    assert "Freegin-Refresh: beta " in message
    if change == "files":
        path = other / "catalog/suggestions/beta.yaml"
        path.write_text(path.read_text().replace("rationale:", "rationale: (checked by Ada)", 1))
        git(other, "commit", "-q", "-a", "--amend", "--no-edit")
    else:
        git(
            other,
            "commit",
            "-q",
            "--amend",
            "-m",
            message.replace("freegin-ai refresh: beta", "Reviewed: beta"),
        )
    assert "Freegin-Refresh: beta " in git(other, "log", "-1", "--format=%B")  # the trailer is kept
    git(other, "push", "-q", "--force", "origin", BRANCH)
    theirs = git(other, "rev-parse", "HEAD")
    git(repo, "branch", "-q", "-D", BRANCH)  # as in CI: a fresh clone has no local branch
    llm.script("alpha", Reply.answer(answer(("chat", [("b2", "a newer reason")]))))
    run = refresh(cli, repo, "beta", "--push")
    assert run.code == 0  # skipped with a notice: someone is reviewing (SPEC, Grounded refresh)
    assert (
        "origin's branch freegin/refresh/beta has 1 commit(s) not made by freegin-ai refresh, "
        "or changed since" in run.stderr
    )
    assert git(repo.parent / "origin.git", "rev-parse", BRANCH) == theirs


def test_refreshs_own_commit_is_replaced_by_the_next_refresh(cli, repo, llm):
    assert refresh(cli, repo, "beta", "--push").code == 0
    first = git(repo.parent / "origin.git", "rev-parse", BRANCH)
    llm.script("alpha", Reply.answer(answer(("chat", [("b2", "a newer reason")]))))
    run = refresh(cli, repo, "beta", "--push")
    assert run.code == 0, run.stderr
    assert "updated" in run.stdout
    assert git(repo.parent / "origin.git", "rev-parse", BRANCH) != first
