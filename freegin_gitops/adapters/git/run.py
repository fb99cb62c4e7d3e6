"""The one way freegin-ai runs git, and the one way git's complaints become a sentence.

Every call has a total deadline: git runs in a session of its own, and when the deadline passes
the whole session is killed (a ``git push`` waiting on a stalled ``ssh`` too), so no call can
hang a command or a CI job. Git never prompts (``GIT_TERMINAL_PROMPT=0``, no terminal, no
standard input unless one is given). Its standard error is turned into one line naming what
failed, with any credentials in a URL it quotes taken out.

``subprocess`` is imported on the first call, not with this module: ``route`` only needs
:func:`freegin_gitops.adapters.git.tree.toplevel`, which runs nothing.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from freegin_gitops.errors import GitRefused

LOCAL_DEADLINE_S = 60.0  # plumbing on the local repository
NETWORK_DEADLINE_S = 180.0  # ls-remote, fetch, push
_QUIET = {"GIT_TERMINAL_PROMPT": "0"}  # a credential prompt would wait for ever
_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s'\"]+@")
_PREFIX = re.compile(r"^(?:fatal|error|remote|hint|warning):\s*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the user and password of every URL in it removed."""
    return _CREDENTIALS.sub(r"\1", text)


def git_sentence(stderr: bytes, returncode: int) -> str:
    """What git said went wrong, as one line: the last non-empty line of its standard error
    (without ``fatal:``/``error:``), or its exit status when it said nothing."""
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        return f"exit status {returncode}"
    return redact(_PREFIX.sub("", lines[-1]).strip()) or f"exit status {returncode}"


class GitResult(NamedTuple):
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def sentence(self) -> str:
        return git_sentence(self.stderr, self.returncode)


def git_result(
    root: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    deadline_s: float = LOCAL_DEADLINE_S,
) -> GitResult:
    """Run ``git -C root ARGS...`` to completion within ``deadline_s`` seconds. Its exit status is
    the caller's to judge; :class:`GitRefused` if git cannot be run or the deadline passes."""
    import signal
    import subprocess

    command = ["git", "-C", str(root), *args]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {}), **_QUIET},
            start_new_session=True,  # no terminal to prompt on; killed as a group at the deadline
        )
    except OSError as exc:
        raise GitRefused(f"git cannot be run: {exc.strerror}") from exc
    try:
        out, err = process.communicate(stdin, timeout=deadline_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):  # it ended just now
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise GitRefused(
            f"git {args[0]} did not finish within {deadline_s:.0f} seconds in {root}; it was stopped"
        ) from None
    return GitResult(process.returncode, out, err)


def run_git(
    root: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    deadline_s: float = LOCAL_DEADLINE_S,
) -> bytes:
    """Git's standard output; :class:`GitRefused` naming the command and git's reason if it fails."""
    result = git_result(root, *args, stdin=stdin, env=env, deadline_s=deadline_s)
    if result.returncode != 0:
        raise GitRefused(f"git {args[0]} failed in {root}: {result.sentence}")
    return result.stdout


def git_text(root: Path, *args: str) -> str | None:
    """Git's standard output as text without its final newline, or None if git fails (for
    questions such as "is there a remote?", where failing is an answer)."""
    result = git_result(root, *args)
    if result.returncode != 0:
        return None
    return result.stdout.decode("utf-8", "surrogateescape").removesuffix("\n")
