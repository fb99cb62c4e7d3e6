"""Committing exactly the files an edit changed.

``git commit --only -- <paths>`` records those paths as they are in the work tree and nothing
else: whatever else the user has staged stays staged, and unstaged changes stay unstaged. Every
call goes through :mod:`freegin_gitops.adapters.git.run` (a total deadline, no prompts).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from freegin_gitops.adapters.git.run import git_text, run_git
from freegin_gitops.errors import GitRefused


class Committer:
    """The git repository around a catalog folder."""

    def __init__(self, root: Path) -> None:
        bare = git_text(root, "rev-parse", "--is-bare-repository")
        if bare is None:
            raise GitRefused(f"--commit needs a git repository, and {root} is not in one")
        if bare == "true":
            raise GitRefused(f"--commit needs a work tree, and {root} is a bare repository")
        top = git_text(root, "rev-parse", "--show-toplevel")
        if not top:
            raise GitRefused(f"--commit needs a work tree, and {root} is not in one")
        self.top = Path(top)

    def _git(self, *args: str, die_with_parent: bool = False) -> str:
        out = run_git(self.top, *args, die_with_parent=die_with_parent)
        return out.decode("utf-8", "surrogateescape").removesuffix("\n")

    def uncommitted(self, paths: Sequence[Path]) -> list[Path]:
        """Those of ``paths`` with staged, unstaged or untracked changes."""
        out = self._git("status", "--porcelain", "-z", "--untracked-files=all", "--", *map(str, paths))
        changed = {(self.top / record[3:]).resolve() for record in out.split("\0") if len(record) > 3}
        return [p for p in paths if p.resolve() in changed]

    def commit_only(self, paths: Sequence[Path], new: Sequence[Path], message: str) -> str:
        """Commit exactly ``paths`` (``new`` ones are not tracked yet); return the commit id."""
        if new:
            self._git("add", "--intent-to-add", "--", *map(str, new))
        try:
            # If this process is killed meanwhile, git is stopped too: the next command undoes the
            # edit, and a commit landing after that would commit files that are no longer there.
            self._git(
                "commit",
                "--quiet",
                "--only",
                "--message",
                message,
                "--",
                *map(str, paths),
                die_with_parent=True,
            )
        except GitRefused:
            if new:
                self._git("rm", "--cached", "--quiet", "--", *map(str, new))
            raise
        return self._git("rev-parse", "--verify", "HEAD^{commit}")

    def landed(self, head: str | None, message: str) -> str | None:
        """The commit an interrupted ``commit_only`` made on top of ``head`` with ``message``, if
        it made one: HEAD, when its parent is ``head`` and its message is ``message``."""
        found = git_text(self.top, "log", "-1", "--format=%H%x00%P%x00%B", "HEAD")
        if not found:
            return None
        sha, parents, body = found.split("\0", 2)
        if parents.split() != ([head] if head else []) or body.strip() != message.strip():
            return None
        return sha

    def head(self) -> str | None:
        return git_text(self.top, "rev-parse", "--verify", "--quiet", "HEAD^{commit}") or None

    def sync_index(self, paths: Sequence[Path]) -> None:
        """Make the index hold HEAD's version of ``paths`` (after a commit whose index update
        was cut short)."""
        self._git("reset", "--quiet", "HEAD", "--", *map(str, paths))

    def forget(self, paths: Sequence[Path]) -> None:
        """Take ``paths`` (added with intent-to-add by an edit that was undone) out of the index."""
        if not paths:
            return
        self._git("rm", "--cached", "--quiet", "--ignore-unmatch", "--", *map(str, paths))
