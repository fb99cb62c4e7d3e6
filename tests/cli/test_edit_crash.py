"""``kill -9`` during ``adopt-model``, for real: the command runs in a forked child process and is
killed at the moment its first file lands (and at random moments); the next command must find
the catalog whole -- both files old or both new, no stray temporary file, no journal left -- and a
killed ``--commit`` must not leave a ``git commit`` behind that commits afterwards.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import Cli, git

PROVIDER = "catalog/providers/acme.yaml"
SUGGESTIONS = "catalog/suggestions/acme.yaml"
ADOPT = ("adopt-model", "acme", "qwen-coder", "--workload", "code")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    from tests.support.catalogs import LoopbackProvider, write_loopback_catalog

    root = write_loopback_catalog(
        tmp_path / "repo", [LoopbackProvider("acme", "http://127.0.0.1:9/v1", {"big-model": ["chat"]})]
    )
    (root / SUGGESTIONS).write_text(
        "# yaml-language-server: $schema=../../schemas/suggestions.schema.json\n"
        "suggestions:\n"
        "  - model: qwen-coder\n    workload: code\n    rationale: strong at code\n    status: pending\n"
        "    created_at: 2026-11-01T00:00:00Z\n    updated_at: 2026-11-01T00:00:00Z\n"
    )
    git(root, "add", "catalog")
    git(root, "commit", "-q", "-m", "a suggestion")
    return root


def spawn(repo: Path, *args: str) -> int:
    """Run ``freegin-ai ARGS`` in a forked child (the package is already imported, so the child
    starts at once); its output goes nowhere. The child's pid."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        code = 98
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            sys.argv = ["freegin-ai", "--repo", str(repo), *args]
            from freegin_gitops.cli.main import main

            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        finally:
            os._exit(code)
    return pid


def kill_when_first_file_lands(pid: int, path: Path) -> bool:
    """SIGKILL the child the moment ``path`` is replaced (its inode changes); False if it ended
    first."""
    inode = path.stat().st_ino
    while True:
        try:
            if path.stat().st_ino != inode:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                return True
        except FileNotFoundError:
            pass
        done, _status = os.waitpid(pid, os.WNOHANG)
        if done:
            return False


def strays(repo: Path) -> list[str]:
    return sorted(
        str(p.relative_to(repo))
        for p in (repo / "catalog").rglob(".*")
        if p.name.endswith((".tmp", ".new", ".old"))
    )


def state(repo: Path) -> tuple[bytes, bytes]:
    return (repo / PROVIDER).read_bytes(), (repo / SUGGESTIONS).read_bytes()


def whole(repo: Path, old: tuple[bytes, bytes]) -> str:
    """ "old" or "new" when both files are; anything else is half an edit. (An edit's new bytes
    carry the second it ran, so "new" is recognised by its content.)"""
    provider, suggestions = state(repo)
    if (provider, suggestions) == old:
        return "old"
    adopted = b"id: qwen-coder" in provider and b"status: adopted" in suggestions
    return "new" if adopted and provider != old[0] and suggestions != old[1] else "half"


@pytest.fixture
def outcomes(cli: Cli, repo: Path) -> tuple[tuple[bytes, bytes], tuple[bytes, bytes]]:
    """The files before the edit and after an edit that was not interrupted."""
    old = state(repo)
    assert cli("--repo", repo, *ADOPT).code == 0
    new = state(repo)
    (repo / PROVIDER).write_bytes(old[0])
    (repo / SUGGESTIONS).write_bytes(old[1])
    return old, new


def test_kill_9_during_adopt_model_never_leaves_half_an_edit(cli: Cli, repo: Path, outcomes):
    old, _new = outcomes
    journal = repo / ".git/freegin-ai.journal"
    rng = random.Random(10)
    landed = 0
    for attempt in range(24):  # bounded: half killed as the first file lands, half at random moments
        pid = spawn(repo, *ADOPT)
        if attempt % 2 == 0:
            landed += kill_when_first_file_lands(pid, repo / PROVIDER)
        else:
            time.sleep(rng.uniform(0, 0.08))
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        run = cli("--repo", repo, "validate")  # the next command
        assert run.code == 0, (attempt, run.output)
        assert whole(repo, old) in ("old", "new"), attempt
        assert strays(repo) == [], attempt
        assert not journal.exists(), attempt
        (repo / PROVIDER).write_bytes(old[0])
        (repo / SUGGESTIONS).write_bytes(old[1])
    assert landed >= 6  # the kill did come between the renames most times


def test_the_next_command_says_it_finished_the_interrupted_edit(cli: Cli, repo: Path, outcomes):
    old, _new = outcomes
    for _ in range(20):
        pid = spawn(repo, *ADOPT)
        if kill_when_first_file_lands(pid, repo / PROVIDER) and (repo / ".git/freegin-ai.journal").exists():
            break
        (repo / PROVIDER).write_bytes(old[0])
        (repo / SUGGESTIONS).write_bytes(old[1])
    else:
        pytest.skip("the child always finished before it could be killed")
    run = cli("--repo", repo, "list-models", "--provider", "acme")
    assert run.code == 0
    assert f"freegin-ai: finished the interrupted adopt-model ({PROVIDER}, {SUGGESTIONS})" in run.stderr
    assert whole(repo, old) == "new"


def test_stray_temporary_files_are_cleaned_by_the_next_edit(cli: Cli, repo: Path):
    for name in (
        ".acme.yaml.k3j2h1.tmp",
        ".acme.yaml.freegin-0123456789ab.new",
        ".acme.yaml.freegin-0123456789ab.old",
    ):
        (repo / "catalog/providers" / name).write_text("left by a killed edit")
    (repo / "catalog/providers/.notes.txt").write_text("a person's hidden file")
    assert cli("--repo", repo, *ADOPT).code == 0
    assert strays(repo) == []
    assert (repo / "catalog/providers/.notes.txt").exists()


def test_a_killed_commit_never_commits_afterwards(cli: Cli, repo: Path, outcomes, tmp_path: Path):
    """A pre-commit hook holds ``git commit`` for a second; the command is killed meanwhile. Git
    is stopped with it, and the next command undoes the edit."""
    old, _new = outcomes
    head = git(repo, "rev-parse", "HEAD").strip()
    marker = tmp_path / "hook-started"
    hook = repo / ".git/hooks/pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(f"#!/bin/sh\ntouch {marker}\nsleep 1\n")
    hook.chmod(0o755)
    pid = spawn(repo, *ADOPT, "--commit")
    deadline = time.monotonic() + 20
    while not marker.exists():
        assert time.monotonic() < deadline, "the hook never ran"
        time.sleep(0.005)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    time.sleep(1.5)  # longer than the hook: a git commit left running would have committed by now
    assert git(repo, "rev-parse", "HEAD").strip() == head
    assert not (repo / ".git/index.lock").exists()
    run = cli("--repo", repo, "validate")
    assert run.code == 0, run.output
    assert "undid the interrupted adopt-model --commit" in run.stderr
    assert state(repo) == old
    assert git(repo, "status", "--porcelain") == ""
    assert strays(repo) == []


def test_a_commit_that_landed_before_the_kill_is_kept(cli: Cli, repo: Path, outcomes):
    """The moment after ``git commit`` and before the journal is dropped, made by hand with the
    session's own pieces: the next command keeps the edit and its commit."""
    from freegin_gitops.adapters import file_journal
    from freegin_gitops.adapters.git.commit import Committer
    from freegin_gitops.services.catalog.paths import journal_path

    _old, new = outcomes
    committer = Committer(repo)
    message = "catalog: adopt acme/qwen-coder for code\n"
    changes = {PROVIDER: new[0], SUGGESTIONS: new[1]}
    extra = {"commit": {"head": committer.head(), "message": message, "new": []}}
    journal = file_journal.begin(journal_path(repo), repo, changes, "adopt-model", extra)
    file_journal.put_in_place(journal)
    sha = committer.commit_only([repo / PROVIDER, repo / SUGGESTIONS], [], message)
    run = cli("--repo", repo, "validate")
    assert run.code == 0, run.output
    assert f"finished the interrupted adopt-model --commit (commit {sha[:12]})" in run.stderr
    assert git(repo, "rev-parse", "HEAD").strip() == sha
    assert state(repo) == new
    assert git(repo, "status", "--porcelain") == ""
    assert strays(repo) == [] and not journal_path(repo).exists()
