"""adopt-model, retire-model, reject-model and deprecate-model on real files in real git repositories."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

import pytest

from freegin_gitops.services.catalog.repo import resolve_repo
from freegin_gitops.services.edits import EditResult, adopt
from freegin_gitops.services.edits import session as edit_session
from tests.helpers import Cli, copy_catalog, git

GOLDEN_CATALOG = Path(__file__).resolve().parents[1] / "examples" / "golden" / "catalog"
PROVIDER = "catalog/providers/acme.yaml"
SUGGESTIONS = "catalog/suggestions/acme.yaml"
NOW = dt.datetime(2026, 11, 25, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the hand-commented catalog, committed."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    shutil.copytree(GOLDEN_CATALOG, root / "catalog")
    git(root, "add", "catalog")
    git(root, "commit", "-q", "-m", "Hand-written catalog")
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` except git's own, by relative path."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def numstat(root: Path) -> dict[str, tuple[int, int]]:
    """Lines added and removed per changed file (work tree against HEAD)."""
    out = git(root, "diff", "--numstat", "HEAD")
    return {
        path: (int(added), int(removed))
        for added, removed, path in (line.split("\t") for line in out.splitlines())
    }


def commits(root: Path) -> int:
    return int(git(root, "rev-list", "--count", "HEAD"))


def assert_valid(cli: Cli, root: Path) -> None:
    run = cli("--repo", root, "validate")
    assert run.code == 0, run.output


def test_adopt_adds_lines_only_and_the_catalog_stays_valid(cli: Cli, repo: Path) -> None:
    run = cli("--repo", repo, "adopt-model", "acme", "qwen-coder", "--workload", "code")
    assert run.code == 0, run.output
    assert run.stdout == f"adopted acme/qwen-coder for code: {PROVIDER}, {SUGGESTIONS}\n"
    assert numstat(repo) == {PROVIDER: (5, 0), SUGGESTIONS: (2, 2)}
    removed = [
        line
        for line in git(repo, "diff", "-U0", "--", PROVIDER).splitlines()
        if line.startswith("-") and not line.startswith("---")
    ]
    assert removed == []
    assert_valid(cli, repo)


@pytest.mark.parametrize(
    ("args", "changed"),
    [
        (["retire-model", "acme", "big-model", "--reason", "too slow"], {PROVIDER: (3, 1)}),
        (["retire-model", "acme", "tiny", "--workload", "code"], {PROVIDER: (4, 1)}),
        (["reject-model", "acme", "qwen-coder", "-w", "chat", "--reason", "x"], {SUGGESTIONS: (3, 2)}),
        (["reject-model", "acme", "mega", "--workload", "code"], {SUGGESTIONS: (6, 0)}),
        (["adopt-model", "acme", "big-model", "--workload", "code"], {PROVIDER: (1, 1)}),
        (["deprecate-model", "acme", "big-model", "--successor", "tiny"], {PROVIDER: (3, 1)}),
        (["deprecate-model", "acme", "tiny", "--reason", "old"], {PROVIDER: (3, 1)}),
    ],
    ids=[
        "retire",
        "retire-workload",
        "reject",
        "reject-unsuggested",
        "adopt-workload",
        "deprecate",
        "deprecate-reason",
    ],
)
def test_edits_change_only_the_lines_they_must(
    cli: Cli, repo: Path, args: list[str], changed: dict[str, tuple[int, int]]
) -> None:
    run = cli("--repo", repo, *args)
    assert run.code == 0, run.output
    assert numstat(repo) == changed
    assert_valid(cli, repo)


def test_nothing_to_change_exits_0_and_writes_nothing(cli: Cli, repo: Path) -> None:
    before = snapshot(repo)
    run = cli("--repo", repo, "retire-model", "acme", "old-model", "--commit")
    assert run.code == 0, run.output
    assert run.stdout == "nothing to change: acme/old-model is already retired\n"
    assert snapshot(repo) == before
    assert commits(repo) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["adopt-model", "acme", "qwen-codr"], "did you mean 'qwen-coder'?"),
        (["adopt-model", "acm", "qwen-coder"], "did you mean 'acme'?"),
        (["adopt-model", "acme", "qwen-coder", "--workload", "cod"], "did you mean 'code'?"),
        (["retire-model", "acme", "smal-model"], "did you mean 'small-model'?"),
        (["retire-model", "acme", "tiny", "--workload", "summarisation"], "does not serve"),
        (["reject-model", "acme", "old-modle"], "did you mean 'old-model'?"),
        (["deprecate-model", "acme", "tiyn"], "did you mean 'tiny'?"),
        (["deprecate-model", "acme", "tiny", "--successor", "old-model"], "acme/old-model is retired"),
        (["deprecate-model", "acme", "old-model"], "adopt-model re-activates it"),
    ],
)
def test_refused_edits_exit_1_and_leave_every_byte(
    cli: Cli, repo: Path, args: list[str], message: str
) -> None:
    before = snapshot(repo)
    run = cli("--repo", repo, *args, "--commit")
    assert run.code == 1
    assert message in run.stderr
    assert run.stderr.startswith("freegin-ai: ") and run.stderr.count("\n") == 1
    assert "Traceback" not in run.output
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == ""


def test_an_edit_that_would_make_the_catalog_invalid_is_refused(cli: Cli, repo: Path) -> None:
    path = repo / SUGGESTIONS
    future = path.read_bytes().replace(b"created_at: 2026-11-21", b"created_at: 2999-11-21")
    path.write_bytes(future)
    before = snapshot(repo)
    run = cli("--repo", repo, "adopt-model", "acme", "qwen-coder", "--workload", "chat")
    assert run.code == 1
    assert "refusing to adopt acme/qwen-coder for chat: the catalog would be invalid" in run.stderr
    assert "updated_at is earlier than created_at" in run.stderr
    assert snapshot(repo) == before


def _leftover_temp_files(root: Path) -> list[Path]:
    return list(root.rglob("*.tmp"))


@pytest.mark.parametrize("failing_call", [1, 2], ids=["first-file", "second-file"])
def test_a_crash_between_write_and_rename_leaves_the_old_files(
    cli: Cli, repo: Path, monkeypatch: pytest.MonkeyPatch, failing_call: int
) -> None:
    real_replace = os.replace
    calls = {"n": 0}

    def crashing_replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls["n"] += 1
        if calls["n"] == failing_call:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    before = snapshot(repo)
    monkeypatch.setattr(os, "replace", crashing_replace)
    run = cli("--repo", repo, "adopt-model", "acme", "qwen-coder", "--workload", "code")
    monkeypatch.undo()
    assert run.code == 1
    assert "cannot be written: No space left on device" in run.stderr
    assert snapshot(repo) == before
    assert _leftover_temp_files(repo) == []


def test_two_concurrent_edits_in_threads_both_land(repo: Path) -> None:
    """Each edit reads, changes and writes while holding the lock: the second sees the first's
    result instead of overwriting it."""
    catalog = resolve_repo(repo)
    events: list[str] = []
    first_inside = threading.Event()

    def traced(name: str, model: str, workload: str | None) -> edit_session.Edit:
        def edit(files: Mapping[str, bytes]) -> EditResult:
            events.append(f"{name} reads")
            first_inside.set()
            if name == "a":
                threading.Event().wait(0.3)  # let b reach the lock while a holds it
            result = adopt(files, "acme", model, workload, now=NOW)
            events.append(f"{name} done")
            return result

        return edit

    errors: list[BaseException] = []

    def run(name: str, model: str, workload: str | None) -> None:
        try:
            edit_session.apply(catalog, "adopt-model", traced(name, model, workload))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    a = threading.Thread(target=run, args=("a", "qwen-coder", "code"))
    a.start()
    first_inside.wait()
    b = threading.Thread(target=run, args=("b", "old-model", None))
    b.start()
    a.join()
    b.join()
    assert errors == []
    assert events == ["a reads", "a done", "b reads", "b done"]
    text = (repo / PROVIDER).read_text()
    assert "  - id: qwen-coder\n    workloads: [code]\n" in text
    assert "  - status: active         # unusual key order" in text
    assert (repo / SUGGESTIONS).read_text().count("status: adopted") == 2


@pytest.mark.slow
def test_two_concurrent_edit_processes_both_land(repo: Path) -> None:
    command = [sys.executable, "-m", "freegin_gitops", "--repo", str(repo), "adopt-model", "acme"]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen([*command, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for args in (["qwen-coder", "--workload", "code"], ["old-model"])
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    assert "  - id: qwen-coder\n" in (repo / PROVIDER).read_text()
    assert (repo / SUGGESTIONS).read_text().count("status: adopted") == 2


def test_commit_records_exactly_the_changed_files(cli: Cli, repo: Path) -> None:
    (repo / "notes.md").write_text("staged, unrelated\n")
    beta = repo / "catalog" / "providers" / "beta.yaml"
    beta.write_text(beta.read_text() + "# staged comment\n")
    git(repo, "add", "notes.md", "catalog/providers/beta.yaml")
    workloads = repo / "catalog" / "workloads.yaml"
    workloads.write_text(workloads.read_text() + "# unstaged comment\n")

    run = cli("--repo", repo, "adopt-model", "acme", "qwen-coder", "--workload", "code", "--commit")
    assert run.code == 0, run.output
    head = git(repo, "rev-parse", "HEAD").strip()
    assert run.stdout.endswith(f" (commit {head[:12]})\n")
    assert commits(repo) == 2
    assert git(repo, "show", "--name-only", "--format=%s", "HEAD").split() == [
        "catalog:",
        "adopt",
        "acme/qwen-coder",
        "for",
        "code",
        PROVIDER,
        SUGGESTIONS,
    ]
    staged = git(repo, "diff", "--cached", "--name-only").split()
    assert staged == ["catalog/providers/beta.yaml", "notes.md"]
    assert git(repo, "diff", "--name-only").split() == ["catalog/workloads.yaml"]
    assert git(repo, "status", "--porcelain", "--", PROVIDER, SUGGESTIONS) == ""
    assert "# unstaged comment" not in git(repo, "show", "HEAD:catalog/workloads.yaml")
    assert "# staged comment" not in git(repo, "show", "HEAD:catalog/providers/beta.yaml")


def test_commit_adds_a_new_suggestions_file(cli: Cli, repo: Path) -> None:
    run = cli(
        "--repo",
        repo,
        "reject-model",
        "beta",
        "beta-code",
        "-w",
        "code",
        "--reason",
        "x",
        "--commit",
    )
    assert run.code == 0, run.output
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "show", "--name-only", "--format=%B", "HEAD").split("\n") == [
        "catalog: reject beta/beta-code for code",
        "",
        "Reason: x",
        "",
        "",
        "catalog/suggestions/beta.yaml",
        "",
    ]


def test_commit_refuses_a_file_with_uncommitted_changes(cli: Cli, repo: Path) -> None:
    provider = repo / PROVIDER
    provider.write_text(provider.read_text() + "# my own edit\n")
    before = snapshot(repo)
    run = cli("--repo", repo, "adopt-model", "acme", "qwen-coder", "--commit")
    assert run.code == 1
    assert f"{PROVIDER} has uncommitted changes" in run.stderr
    assert snapshot(repo) == before
    assert commits(repo) == 1


def test_a_refused_commit_undoes_the_edit(cli: Cli, repo: Path) -> None:
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text("#!/bin/sh\necho 'hook says no' >&2\nexit 1\n")
    hook.chmod(0o755)
    before = snapshot(repo)
    run = cli("--repo", repo, "reject-model", "beta", "beta-code", "--workload", "code", "--commit")
    assert run.code == 1
    assert "hook says no" in run.stderr and "the edit was not kept" in run.stderr
    assert snapshot(repo) == before
    assert git(repo, "status", "--porcelain") == ""
    assert commits(repo) == 1


def test_commit_outside_a_git_repository_is_refused(cli: Cli, tmp_path: Path) -> None:
    root = copy_catalog(tmp_path / "plain")
    before = snapshot(root)
    run = cli("--repo", root, "retire-model", "groq", "llama-3.1-8b-instant", "--commit")
    assert run.code == 1
    assert "--commit needs a git repository" in run.stderr
    assert snapshot(root) == before


def test_edits_work_in_a_plain_folder_without_commit(cli: Cli, tmp_path: Path) -> None:
    root = copy_catalog(tmp_path / "plain")
    run = cli("--repo", root, "retire-model", "groq", "llama-3.1-8b-instant", "--reason", "small")
    assert run.code == 0, run.output
    assert "status: retired" in (root / "catalog/providers/groq.yaml").read_text()
    assert snapshot(root).keys() == snapshot(copy_catalog(tmp_path / "fresh")).keys()


def test_starter_catalog_retire_with_commit_leaves_the_tree_clean(cli: Cli, catalog_repo: Path) -> None:
    run = cli(
        "--repo",
        catalog_repo,
        "retire-model",
        "groq",
        "llama-3.1-8b-instant",
        "--commit",
        "--reason",
        "removed by the provider",
    )
    assert run.code == 0, run.output
    assert git(catalog_repo, "status", "--porcelain") == ""
    assert git(catalog_repo, "log", "-1", "--format=%s").strip() == (
        "catalog: retire groq/llama-3.1-8b-instant"
    )
    assert (catalog_repo / ".git" / "freegin-ai.lock").exists()
    assert_valid(cli, catalog_repo)


def test_starter_catalog_adopt_every_pending_suggestion(cli: Cli, catalog_repo: Path) -> None:
    for model in ("moonshotai/kimi-k2-instruct-0905", "openai/gpt-oss-20b"):
        run = cli("--repo", catalog_repo, "adopt-model", "groq", model, "--commit")
        assert run.code == 0, run.output
    assert commits(catalog_repo) == 3
    assert git(catalog_repo, "status", "--porcelain") == ""
    assert_valid(cli, catalog_repo)


@pytest.mark.parametrize("command", ["adopt-model", "retire-model", "reject-model", "deprecate-model"])
def test_the_bundled_catalog_is_read_only(cli: Cli, command: str) -> None:
    extra = ["--reason", "x"] if command == "deprecate-model" else ["--workload", "chat"]
    run = cli(command, "groq", "llama-3.1-8b-instant", *extra)
    assert run.code == 1
    assert f"cannot {command}: the bundled starter catalog" in run.stderr
    assert "read-only" in run.stderr


@pytest.mark.parametrize("command", ["adopt-model", "retire-model", "reject-model"])
def test_help_describes_the_command(cli: Cli, command: str) -> None:
    run = cli(command, "--help")
    assert run.code == 0
    assert "Example: freegin-ai " + command in run.stdout
    for option in ("--workload", "--commit", "PROVIDER", "MODEL"):
        assert option in run.stdout
    assert ("--reason" in run.stdout) == (command != "adopt-model")


def test_deprecate_model_commit_records_the_provider_file_only(cli: Cli, repo: Path) -> None:
    run = cli(
        "--repo",
        repo,
        "deprecate-model",
        "acme",
        "big-model",
        "--successor",
        "tiny",
        "--reason",
        "slow",
        "--commit",
    )
    assert run.code == 0, run.output
    head = git(repo, "rev-parse", "HEAD").strip()
    assert run.stdout == f"deprecated acme/big-model (successor tiny): {PROVIDER} (commit {head[:12]})\n"
    shown = git(repo, "show", "--name-only", "--format=%B", "HEAD").splitlines()
    assert [line for line in shown if line] == ["catalog: deprecate acme/big-model", "Reason: slow", PROVIDER]
    assert git(repo, "status", "--porcelain") == ""
    again = cli("--repo", repo, "deprecate-model", "acme", "big-model", "--commit")
    assert again.stdout.startswith("nothing to change: acme/big-model is already deprecated (since ")
    assert commits(repo) == 2
    assert_valid(cli, repo)
    listed = cli("--repo", repo, "list-models", "--provider", "acme", "--workload", "chat")
    row = next(line for line in listed.stdout.splitlines() if "big-model" in line)
    assert "deprecated" in row.split()


def test_deprecate_model_help_describes_the_command(cli: Cli) -> None:
    run = cli("deprecate-model", "--help")
    assert run.code == 0
    assert "Example: freegin-ai deprecate-model" in run.stdout
    for option in ("--successor", "--reason", "--commit", "PROVIDER", "MODEL", "grace_days"):
        assert option in run.stdout
