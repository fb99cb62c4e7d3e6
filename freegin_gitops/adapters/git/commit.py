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

    def _git(self, *args: str) -> str:
        return run_git(self.top, *args).decode("utf-8", "surrogateescape").removesuffix("\n")

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
            self._git("commit", "--quiet", "--only", "--message", message, "--", *map(str, paths))
        except GitRefused:
            if new:
                self._git("rm", "--cached", "--quiet", "--", *map(str, new))
            raise
        return self._git("rev-parse", "--verify", "HEAD^{commit}")
