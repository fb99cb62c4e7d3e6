"""The one way git is run: output, failures as one sentence, a total deadline that stops git and
what it started, no prompts, credentials never quoted."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from freegin_gitops.adapters.git.run import git_result, git_sentence, git_text, redact, run_git
from freegin_gitops.errors import GitRefused
from tests.helpers import git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    return root


def test_the_output_of_a_command(repo: Path) -> None:
    assert run_git(repo, "rev-parse", "--is-inside-work-tree") == b"true\n"
    assert git_text(repo, "rev-parse", "--is-inside-work-tree") == "true"


def test_standard_input_is_passed(repo: Path) -> None:
    blob = run_git(repo, "hash-object", "--stdin", stdin=b"hello\n").strip()
    assert blob == b"ce013625030ba8dba906f756967f9e9ca394464a"


def test_a_failure_is_one_sentence_naming_the_command_and_the_folder(repo: Path) -> None:
    with pytest.raises(GitRefused) as caught:
        run_git(repo, "rev-parse", "--verify", "no-such-ref")
    assert str(caught.value) == f"git rev-parse failed in {repo}: Needed a single revision"
    assert git_text(repo, "rev-parse", "--verify", "no-such-ref") is None


def test_outside_a_repository(tmp_path: Path) -> None:
    with pytest.raises(GitRefused, match=r"^git status failed in .*: not a git repository"):
        run_git(tmp_path, "status")


@pytest.mark.parametrize(
    ("stderr", "code", "sentence"),
    [
        (b"fatal: bad revision 'x'\n", 128, "bad revision 'x'"),
        (b"hint: one\nhint: two\nerror: failed to push some refs\n\n", 1, "failed to push some refs"),
        (b"warning: something\nremote: Permission denied\n", 1, "Permission denied"),
        (b"", 3, "exit status 3"),
        (b"  \n\n", 5, "exit status 5"),
        (b"fatal:\n", 128, "exit status 128"),
        (b"\xff\xfe broken bytes\n", 1, "\ufffd\ufffd broken bytes"),
        (
            b"fatal: unable to access 'https://bot:ghp_secret123@github.com/o/r.git/': timeout\n",
            128,
            "unable to access 'https://github.com/o/r.git/': timeout",
        ),
    ],
)
def test_git_sentence(stderr: bytes, code: int, sentence: str) -> None:
    assert git_sentence(stderr, code) == sentence


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pw@host/x", "https://host/x"),
        ("ssh://git@host:22/o/r and http://t@h/", "ssh://host:22/o/r and http://h/"),
        ("git@github.com:o/r.git", "git@github.com:o/r.git"),  # scp-like: a user name, no secret
        ("see https://host/a@b", "see https://host/a@b"),  # an @ in the path is not a user
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_push_failure_never_quotes_the_token_in_the_url(repo: Path) -> None:
    url = "http://bot:tok-very-secret@127.0.0.1:9/o/r.git"
    with pytest.raises(GitRefused) as caught:
        run_git(repo, "ls-remote", url)
    assert "tok-very-secret" not in str(caught.value) and "bot:" not in str(caught.value)


def test_the_deadline_stops_git_and_everything_it_started(repo: Path, tmp_path: Path) -> None:
    pid_file = tmp_path / "sleeper.pid"
    alias = f"alias.hang=!sleep 60 & echo $! > {pid_file}; wait"
    started = time.monotonic()
    with pytest.raises(GitRefused) as caught:
        run_git(repo, "-c", alias, "hang", deadline_s=1.0)
    assert str(caught.value) == (
        f"git -c did not finish within 1 seconds in {repo} (FREEGIN_GIT_LOCAL_TIMEOUT_S); it was stopped"
    )
    assert time.monotonic() - started < 30  # not the sleeper's 60 seconds
    sleeper = int(pid_file.read_text())
    for _ in range(200):  # the kill is immediate; reaping by init may take a moment
        if not Path(f"/proc/{sleeper}").exists() or "Z" in _state(sleeper):
            break
        time.sleep(0.05)
    assert not Path(f"/proc/{sleeper}").exists() or "Z" in _state(sleeper)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].split()[0]
    except (OSError, IndexError):
        return "Z"


def test_git_never_waits_for_a_prompt_or_standard_input(repo: Path) -> None:
    result = git_result(repo, "-c", "alias.fgenv=!env; cat", "fgenv")
    assert result.returncode == 0
    assert b"GIT_TERMINAL_PROMPT=0\n" in result.stdout  # and cat read an empty standard input


def test_git_that_cannot_be_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo))
    with pytest.raises(GitRefused, match=r"^git cannot be run: "):
        run_git(repo, "status")


def test_the_callers_environment_is_added(repo: Path) -> None:
    probe = ["-c", 'alias.fgprobe=!printf %s "$FREEGIN_PROBE"', "fgprobe"]
    assert git_text(repo, *probe) == ""
    assert git_result(repo, *probe, env={"FREEGIN_PROBE": "x"}).stdout == b"x"
    assert "FREEGIN_PROBE" not in os.environ
