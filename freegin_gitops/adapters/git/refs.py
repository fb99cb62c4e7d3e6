"""Git for refresh: commits built with plumbing on a temporary index, branch updates with
compare-and-swap, pushes with ``--force-with-lease``.

Nothing here touches the user's working tree, index, HEAD or current branch: a refresh commit is
made from the base commit's tree plus the changed files, in an index file of its own. Every call
goes through :mod:`freegin_gitops.adapters.git.run` (a total deadline, no prompts).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from freegin_gitops.adapters.git.run import (
    git_result,
    git_text,
    network_deadline_s,
    run_git,
)
from freegin_gitops.errors import GitRefused

ZERO = "0" * 40
FALLBACK_IDENTITY = {
    "GIT_AUTHOR_NAME": "freegin-ai",
    "GIT_AUTHOR_EMAIL": "freegin-ai@users.noreply.github.com",
    "GIT_COMMITTER_NAME": "freegin-ai",
    "GIT_COMMITTER_EMAIL": "freegin-ai@users.noreply.github.com",
}


@dataclass(frozen=True, slots=True)
class CommitInfo:
    sha: str
    author: str
    subject: str
    message: str
    tree: str = ""


class GitRepo:
    """A git repository, for the refresh pipeline."""

    def __init__(self, root: Path) -> None:
        if git_text(root, "rev-parse", "--git-dir") is None:
            raise GitRefused(f"{root} is not a git repository; refresh writes a branch, so it needs one")
        self.root = root

    def _run(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
        deadline_s: float | None = None,
    ) -> str:
        """Git's output as text, without its final newline."""
        out = run_git(self.root, *args, env=env, stdin=stdin, deadline_s=deadline_s)
        return out.decode("utf-8", "surrogateescape").removesuffix("\n")

    def _try(self, *args: str) -> str | None:
        return git_text(self.root, *args)

    # -- reading -------------------------------------------------------------------------------
    def current_branch(self) -> str | None:
        name = self._try("symbolic-ref", "--quiet", "--short", "HEAD")
        return name or None

    def resolve(self, ref: str) -> str:
        sha = self._try("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        if not sha:
            raise GitRefused(f"the git ref {ref!r} does not name a commit in {self.root}")
        return sha

    def branch_tip(self, branch: str) -> str | None:
        return self._try("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}") or None

    def parents_of(self, commit: str) -> list[str]:
        return self._run("rev-list", "--parents", "-n", "1", commit).split()[1:]

    def commits_between(self, base: str, tip: str) -> list[CommitInfo]:
        """Commits reachable from ``tip`` but not from ``base``, newest first."""
        out = self._run("log", "--format=%H%x00%T%x00%an <%ae>%x00%s%x00%B%x1e", f"{base}..{tip}")
        commits = []
        for record in out.split("\x1e"):
            record = record.strip("\n")
            if record:
                sha, tree, author, subject, message = record.split("\x00", 4)
                commits.append(CommitInfo(sha, author, subject, message, tree))
        return commits

    def checked_out(self) -> dict[str, str]:
        """Branches checked out in this repository's work trees: branch name -> work tree path."""
        found: dict[str, str] = {}
        tree = ""
        for line in self._run("worktree", "list", "--porcelain").splitlines():
            if line.startswith("worktree "):
                tree = line.removeprefix("worktree ")
            elif line.startswith("branch refs/heads/"):
                found[line.removeprefix("branch refs/heads/")] = tree
        return found

    def origin_url(self, remote: str = "origin") -> str | None:
        return self._try("remote", "get-url", remote) or None

    def has_remote(self, remote: str = "origin") -> bool:
        return self.origin_url(remote) is not None

    # -- writing -------------------------------------------------------------------------------
    def _identity(self) -> dict[str, str]:
        """Author and committer: the user's git identity, else freegin-ai's."""
        env: dict[str, str] = {}
        configured_name = self._try("config", "user.name")
        configured_email = self._try("config", "user.email")
        for role in ("AUTHOR", "COMMITTER"):
            if not os.environ.get(f"GIT_{role}_NAME") and not configured_name:
                env[f"GIT_{role}_NAME"] = FALLBACK_IDENTITY[f"GIT_{role}_NAME"]
            if not os.environ.get(f"GIT_{role}_EMAIL") and not configured_email:
                env[f"GIT_{role}_EMAIL"] = FALLBACK_IDENTITY[f"GIT_{role}_EMAIL"]
        return env

    @contextlib.contextmanager
    def _temporary_index(self) -> Iterator[dict[str, str]]:
        folder = Path(self._run("rev-parse", "--absolute-git-dir"))
        fd, name = tempfile.mkstemp(prefix="freegin-index.", dir=folder)
        os.close(fd)
        path = Path(name)
        path.unlink()  # git creates it; an empty file is not a valid index
        try:
            yield {"GIT_INDEX_FILE": name}
        finally:
            path.unlink(missing_ok=True)

    def write_tree(self, parent: str, files: Mapping[str, bytes]) -> str:
        """The tree of ``parent`` with ``files`` (path -> bytes) written over it; no ref, working
        tree or index of the user's is touched."""
        blobs = {path: self._run("hash-object", "-w", "--stdin", stdin=files[path]) for path in sorted(files)}
        entries = "".join(f"100644 {blob}\t{path}\n" for path, blob in blobs.items())
        with self._temporary_index() as env:
            self._run("read-tree", parent, env=env)
            if entries:
                self._run("update-index", "--index-info", env=env, stdin=entries.encode())
            return self._run("write-tree", env=env)

    def commit_tree(self, tree: str, parent: str, message: str) -> str:
        """A commit of ``tree`` on ``parent`` with ``message`` (no ref moves)."""
        return self._run(
            "commit-tree", tree, "-p", parent, "-F", "-", env=self._identity(), stdin=message.encode()
        )

    def update_branch(self, branch: str, new: str, expected_old: str | None, reason: str) -> None:
        """Move ``branch`` to ``new`` only if it is still at ``expected_old`` (None: absent)."""
        result = git_result(
            self.root, "update-ref", "-m", reason, f"refs/heads/{branch}", new, expected_old or ZERO
        )
        if result.returncode != 0:
            raise GitRefused(
                f"branch {branch} changed while refresh was writing it ({result.sentence}); "
                "nothing was overwritten, run refresh again"
            )

    def fetch_branch(self, branch: str, remote: str = "origin") -> str | None:
        """Fetch ``remote``'s ``branch``; its tip, or None if the remote has no such branch."""
        listing = self._run(
            "ls-remote", "--heads", remote, f"refs/heads/{branch}", deadline_s=network_deadline_s()
        )
        if not listing.strip():
            return None
        self._run(
            "fetch",
            "--quiet",
            "--no-tags",
            remote,
            f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}",
            deadline_s=network_deadline_s(),
        )
        return listing.split()[0]

    def push_branch(self, branch: str, sha: str, expected_remote: str | None, remote: str = "origin") -> None:
        """Push ``sha`` to ``remote``'s ``branch`` if the remote branch is still ``expected_remote``."""
        lease = f"--force-with-lease=refs/heads/{branch}:{expected_remote or ''}"
        result = git_result(
            self.root,
            "push",
            "--quiet",
            "--porcelain",
            lease,
            remote,
            f"{sha}:refs/heads/{branch}",
            deadline_s=network_deadline_s(),
        )
        if result.returncode != 0:
            raise GitRefused(
                f"pushing {branch} to {remote} was refused ({result.sentence}); someone may have pushed "
                "to it meanwhile, so it was left alone"
            )
