"""Applying a catalog edit to a working tree: lock, recover, read, edit, validate, write, commit.

The edit itself is a function of the catalog files (:mod:`freegin_gitops.services.edits`); this
module is its I/O. While the lock is held no other freegin-ai edit of the same repository can read
or write, so two edits at once both land. The changed files are written all-or-nothing through a
journal (:mod:`freegin_gitops.adapters.file_journal`, kept beside the lock): a command killed
between the renames of a provider file and its suggestions file is finished by the next command,
and a killed ``--commit`` whose commit was not made is undone. A repository that keeps a compiled
catalog (``compiled/catalog.json``) gets it regenerated with the edit, in the same journal and the
same commit, so ``compile --check`` stays green. With ``commit``, exactly the changed files are
committed; if git refuses, the files are put back as they were.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from freegin_gitops.adapters import file_journal
from freegin_gitops.adapters.catalog_dir import FileRefused, read_catalog_dir, read_regular
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.adapters.files import exclusive_lock
from freegin_gitops.adapters.git.tree import head_state
from freegin_gitops.core.layout import COMPILED_FILE
from freegin_gitops.errors import FileError, GitRefused
from freegin_gitops.services.catalog.compiled_file import kept_compiled
from freegin_gitops.services.catalog.paths import EDITED_FOLDERS, edit_interrupted, journal_path, lock_path
from freegin_gitops.services.catalog.repo import CatalogRepo
from freegin_gitops.services.edits.workspace import EditResult

Edit = Callable[[Mapping[str, bytes]], EditResult]


@dataclass(frozen=True, slots=True)
class Applied:
    """An edit as written: what changed, and the commit made (with ``commit``)."""

    result: EditResult
    commit: str | None = None
    recovered: str | None = None  # an interrupted edit finished or undone first
    compiled: bool = False  # the kept compiled catalog was regenerated with the edit


def _folders(journal: file_journal.Journal | None) -> set[str]:
    """The folders where a killed edit may have left files beside their targets."""
    folders = set(EDITED_FOLDERS)
    if journal is not None:
        folders |= {Path(p).parent.as_posix() for p in journal.paths()}
    return folders


def _recover_locked(repo: CatalogRepo) -> str | None:
    """Finish or undo the edit a killed command left (under the lock); a notice, or None."""
    journal = file_journal.load(journal_path(repo.root))
    notice = None
    if journal is not None:
        commit = journal.extra.get("commit")
        changed = ", ".join(journal.paths())
        if commit is None:
            left = file_journal.roll_forward(journal)
            notice = f"finished the interrupted {journal.command} ({changed})"
        else:
            from freegin_gitops.adapters.git.commit import Committer

            committer = Committer(repo.root)
            made = committer.landed(commit.get("head"), commit["message"])
            if made is not None:
                left = file_journal.roll_forward(journal)
                committer.sync_index([repo.root / p for p in journal.paths() if p not in left])
                notice = f"finished the interrupted {journal.command} --commit (commit {made[:12]})"
            else:
                left = file_journal.roll_back(journal)
                committer.forget([repo.root / p for p in commit.get("new", [])])
                notice = (
                    f"undid the interrupted {journal.command} --commit ({changed}): its commit was not made"
                )
        if left:
            notice += f"; left alone, changed since: {', '.join(left)}"
    file_journal.clean_strays(repo.root, _folders(journal))
    return notice


def recover(repo: CatalogRepo) -> str | None:
    """Finish or undo an edit that a killed command left, if there is one (for commands that
    read the catalog); a one-line notice, or None. Nothing happens for the bundled catalog, and
    almost nothing when no edit was interrupted (see ``paths.edit_interrupted``)."""
    if not repo.writable or not edit_interrupted(repo.root):
        return None
    with exclusive_lock(lock_path(repo.root)):
        return _recover_locked(repo)


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


def with_compiled(root: Path, files: Mapping[str, bytes], changes: Mapping[str, bytes]) -> dict[str, bytes]:
    """``changes``, with the regenerated compiled catalog when the repository keeps one: the
    edits' share of the one step every commit path takes (refresh takes it too)."""
    kept = _kept_bytes(root)
    if kept is None:
        return dict(changes)
    regenerated = kept_compiled({**files, **changes}, kept, head_state(root)[0])
    return dict(changes) if regenerated is None else {**changes, COMPILED_FILE: regenerated}


def _put_in_place(journal: file_journal.Journal) -> None:
    try:
        file_journal.put_in_place(journal)
    except OSError as exc:
        file_journal.roll_back(journal)
        where = exc.filename or journal.root
        raise FileError(f"{where} cannot be written: {exc.strerror}; nothing was changed") from exc


def apply(repo: CatalogRepo, command: str, edit: Edit, *, commit: bool = False) -> Applied:
    """Run ``edit`` on the catalog of ``repo`` and write what it changed, all-or-nothing.

    :class:`CatalogReadOnly` for the bundled catalog; with ``commit``, :class:`GitRefused` (before
    anything is written) when ``repo`` is not in a git work tree or a file to change has
    uncommitted changes. An edit a killed command left is finished or undone first
    (``Applied.recovered`` says which).
    """
    repo.require_writable(command)
    committer = None
    if commit:
        from freegin_gitops.adapters.git.commit import Committer

        committer = Committer(repo.root)
    with exclusive_lock(lock_path(repo.root)):
        recovered = _recover_locked(repo)
        files = read_catalog_dir(repo.root)
        result = edit(files)
        if not result.changed:
            return Applied(result, recovered=recovered)
        changes = with_compiled(repo.root, files, result.changes)
        compiled = COMPILED_FILE in changes
        paths = [repo.root / rel for rel in changes]
        new_files = [rel for rel in changes if rel not in files and rel != COMPILED_FILE]
        extra: dict[str, object] = {}
        if committer is not None:
            dirty = committer.uncommitted([p for p in paths if p.exists()])
            if dirty:
                shown = dirty[0].relative_to(repo.root).as_posix()
                raise GitRefused(
                    f"{shown} has uncommitted changes; commit or stash them first, or run "
                    f"{command} without --commit"
                )
            extra["commit"] = {"head": committer.head(), "message": result.commit_message(), "new": new_files}
        journal = file_journal.begin(journal_path(repo.root), repo.root, changes, command, extra)
        _put_in_place(journal)
        if committer is None:
            file_journal.done(journal)
            return Applied(result, recovered=recovered, compiled=compiled)
        new = [repo.root / rel for rel in new_files]
        try:
            sha = committer.commit_only(paths, new, result.commit_message())
        except GitRefused as exc:
            file_journal.roll_back(journal)
            raise GitRefused(f"{exc}; the edit was not kept") from exc
        file_journal.done(journal)
        return Applied(result, sha, recovered, compiled)
