"""Applying a catalog edit to a working tree: lock, read, edit, validate, write, and commit.

The edit itself is a function of the catalog files (:mod:`freegin_gitops.services.edits`); this
module is its I/O. While the lock is held no other freegin-ai edit of the same repository can read
or write, so two edits at once both land. Every file is written atomically, in the order the edit
gives (a provider file before its suggestions file, so that a crash between the two leaves a
catalog that ``validate`` flags and the same command repairs). A repository that keeps a compiled
catalog (``compiled/catalog.json``) gets it regenerated with the edit, so ``compile --check``
stays green. With ``commit``, exactly the changed files are committed; if git refuses, the files
are put back as they were.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from freegin_gitops.adapters.catalog_dir import FileRefused, read_catalog_dir, read_regular
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.adapters.files import atomic_write, exclusive_lock
from freegin_gitops.adapters.git.tree import head_state, toplevel
from freegin_gitops.core.layout import COMPILED_FILE
from freegin_gitops.errors import FileError, GitRefused
from freegin_gitops.services.catalog.compiled_file import kept_compiled
from freegin_gitops.services.catalog.paths import cache_dir
from freegin_gitops.services.catalog.repo import CatalogRepo
from freegin_gitops.services.edits.workspace import EditResult

LOCK_NAME = "freegin-ai.lock"

Edit = Callable[[Mapping[str, bytes]], EditResult]


@dataclass(frozen=True, slots=True)
class Applied:
    """An edit as written: what changed, and the commit made (with ``commit``)."""

    result: EditResult
    commit: str | None = None
    compiled: bool = False  # the kept compiled catalog was regenerated with the edit


def lock_path(root: Path) -> Path:
    """The edit lock of the repository at ``root``: inside its git directory, so the work tree
    stays clean; in the cache directory when there is no git directory."""
    top = toplevel(root)
    if top is not None:
        dotgit = top / ".git"
        if dotgit.is_dir():
            return dotgit / LOCK_NAME
        try:
            pointer = dotgit.read_text(encoding="utf-8").strip()
        except OSError:
            pointer = ""
        if pointer.startswith("gitdir:"):
            return (top / pointer.removeprefix("gitdir:").strip()).resolve() / LOCK_NAME
    digest = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]
    return cache_dir() / "locks" / f"{digest}.lock"


def _write_all(root: Path, changes: Mapping[str, bytes], before: Mapping[str, bytes | None]) -> None:
    """Write every change; if one cannot be written, put back those already written."""
    written: dict[str, bytes | None] = {}
    try:
        for rel, data in changes.items():
            atomic_write(root / rel, data)
            written[rel] = before[rel]
    except FileError:
        _restore(root, written)
        raise


def _restore(root: Path, before: Mapping[str, bytes | None]) -> None:
    for rel, data in before.items():
        if data is None:
            (root / rel).unlink(missing_ok=True)
        else:
            atomic_write(root / rel, data)


def _kept_bytes(root: Path) -> bytes | None:
    """The compiled catalog the repository keeps, or None when it keeps none; a link, a FIFO or
    an oversized file there is refused, as a catalog file would be."""
    path = root / COMPILED_FILE
    if not os.path.lexists(path):
        return None
    try:
        return read_regular(path, current_limits().max_file_bytes)
    except FileRefused as exc:
        raise FileError(f"{COMPILED_FILE} {exc}") from None


def apply(repo: CatalogRepo, command: str, edit: Edit, *, commit: bool = False) -> Applied:
    """Run ``edit`` on the catalog of ``repo`` and write what it changed.

    :class:`CatalogReadOnly` for the bundled catalog; with ``commit``, :class:`GitRefused` (before
    anything is written) when ``repo`` is not in a git work tree or a file to change has
    uncommitted changes.
    """
    repo.require_writable(command)
    committer = None
    if commit:
        from freegin_gitops.adapters.git.commit import Committer

        committer = Committer(repo.root)
    with exclusive_lock(lock_path(repo.root)):
        files = read_catalog_dir(repo.root)
        result = edit(files)
        if not result.changed:
            return Applied(result)
        kept = _kept_bytes(repo.root)
        parent = head_state(repo.root)[0] if kept is not None else None
        regenerated = kept_compiled({**files, **result.changes}, kept, parent)
        changes = dict(result.changes)
        before: dict[str, bytes | None] = {rel: files.get(rel) for rel in result.changes}
        if regenerated is not None:
            changes[COMPILED_FILE] = regenerated
            before[COMPILED_FILE] = kept
        compiled = regenerated is not None
        paths = [repo.root / rel for rel in changes]
        if committer is not None:
            dirty = committer.uncommitted([p for p in paths if p.exists()])
            if dirty:
                shown = dirty[0].relative_to(repo.root).as_posix()
                raise GitRefused(
                    f"{shown} has uncommitted changes; commit or stash them first, or run "
                    f"{command} without --commit"
                )
        _write_all(repo.root, changes, before)
        if committer is None:
            return Applied(result, compiled=compiled)
        new = [repo.root / rel for rel, data in before.items() if data is None]
        try:
            sha = committer.commit_only(paths, new, result.commit_message())
        except GitRefused as exc:
            _restore(repo.root, before)
            raise GitRefused(f"{exc}; the edit was not kept") from exc
        return Applied(result, sha, compiled)
