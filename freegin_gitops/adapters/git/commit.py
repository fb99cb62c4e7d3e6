"""Committing exactly the files an edit changed (GitPython).

``git commit --only -- <paths>`` records those paths as they are in the work tree and nothing
else: whatever else the user has staged stays staged, and unstaged changes stay unstaged. Import
this module only when a commit is asked for: GitPython is slow to import.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import git

from freegin_gitops.errors import GitRefused


def _last_line(exc: git.GitCommandError) -> str:
    stderr = str(exc.stderr or "").strip().strip("'").strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1].removeprefix("stderr: ").strip() if lines else f"exit code {exc.status}"


class Committer:
    """The git repository around a catalog folder."""

    def __init__(self, root: Path) -> None:
        try:
            self._repo: Any = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError) as exc:
            raise GitRefused(f"--commit needs a git repository, and {root} is not in one") from exc
        if self._repo.bare:
            raise GitRefused(f"--commit needs a work tree, and {root} is a bare repository")
        self.top = Path(str(self._repo.working_tree_dir))

    def _git(self, *args: str) -> str:
        try:
            out: str = self._repo.git.execute(["git", *args])
        except git.GitCommandError as exc:
            raise GitRefused(f"git {args[0]} failed in {self.top}: {_last_line(exc)}") from exc
        return out

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
        sha: str = self._repo.head.commit.hexsha
        return sha
