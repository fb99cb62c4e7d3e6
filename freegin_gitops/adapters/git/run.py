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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import NamedTuple

from freegin_gitops.errors import GitRefused


def local_deadline_s() -> float:
    """The deadline of a git command on the local repository (``FREEGIN_GIT_LOCAL_TIMEOUT_S``)."""
    from freegin_gitops.adapters.env_limits import current_limits

    return current_limits().git_local_timeout_s


def network_deadline_s() -> float:
    """The deadline of a git command that talks to a remote (``FREEGIN_GIT_TIMEOUT_S``)."""
    from freegin_gitops.adapters.env_limits import current_limits

    return current_limits().git_timeout_s


# The variable that sets a command's deadline, named when the deadline passes.
_DEADLINE_VARIABLE = dict.fromkeys(("ls-remote", "fetch", "push"), "FREEGIN_GIT_TIMEOUT_S")
_QUIET = {"GIT_TERMINAL_PROMPT": "0"}  # a credential prompt would wait for ever
_CREDENTIALS = re.compile(r"(?<=://)[^/@\s'\"]+@")  # anchored on ://: linear (redact.py)
_PREFIX = re.compile(r"^(?:fatal|error|remote|hint|warning):\s*", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with the user and password of every URL in it removed."""
    return _CREDENTIALS.sub("", text)


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


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that has the kernel send git SIGTERM when freegin-ai dies (Linux's
    ``PR_SET_PDEATHSIG``), or None where there is none. A ``git commit`` must not go on to commit
    after a killed edit command has been rolled back; on SIGTERM git removes its lock files."""
    import sys

    if not sys.platform.startswith("linux"):
        return None
    import ctypes
    import signal

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def arm() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM))
        if os.getppid() != parent:  # the parent died before the signal was armed
            os._exit(1)

    return arm


def git_result(
    root: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    deadline_s: float | None = None,
    die_with_parent: bool = False,
) -> GitResult:
    """Run ``git -C root ARGS...`` to completion within ``deadline_s`` seconds (default: the
    local deadline, :func:`local_deadline_s`). Its exit status is the caller's to judge;
    :class:`GitRefused` if git cannot be run or the deadline passes. With ``die_with_parent``,
    git is stopped if this process dies (see :func:`_die_with_parent`)."""
    import signal
    import subprocess

    deadline = local_deadline_s() if deadline_s is None else deadline_s
    command = ["git", "-C", str(root), *args]
    try:
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, **(env or {}), **_QUIET},
            start_new_session=True,  # no terminal to prompt on; killed as a group at the deadline
            # preexec_fn is unsafe with threads running: only the edit commands ask for it.
            preexec_fn=_die_with_parent() if die_with_parent else None,
        )
    except OSError as exc:
        raise GitRefused(f"git cannot be run: {exc.strerror}") from exc
    try:
        out, err = process.communicate(stdin, timeout=deadline)
    except BaseException as exc:
        with contextlib.suppress(ProcessLookupError):  # it ended just now
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        if not isinstance(exc, subprocess.TimeoutExpired):
            raise  # Ctrl-C: git's session does not get the terminal's signal, so it is stopped here
        variable = _DEADLINE_VARIABLE.get(args[0], "FREEGIN_GIT_LOCAL_TIMEOUT_S")
        raise GitRefused(
            f"git {args[0]} did not finish within {deadline:g} seconds in {root} ({variable}); it was stopped"
        ) from None
    return GitResult(process.returncode, out, err)


def run_git(
    root: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    deadline_s: float | None = None,
    die_with_parent: bool = False,
) -> bytes:
    """Git's standard output; :class:`GitRefused` naming the command and git's reason if it fails."""
    result = git_result(
        root, *args, stdin=stdin, env=env, deadline_s=deadline_s, die_with_parent=die_with_parent
    )
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
