"""Where user-specific files live: the usage database, caches, and the lock and journal of edits.

``FREEGIN_DB`` moves the database (or names a PostgreSQL one, ``postgresql://...``),
``FREEGIN_CACHE_DIR`` the caches; otherwise the platform's user data and cache directories are
used (``~/.local/share/freegin-ai`` and ``~/.cache/freegin-ai`` on Linux).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from freegin_gitops.adapters.git.tree import toplevel
from freegin_gitops.core.database_url import is_postgres_url

APP = "freegin-ai"


def db_location(option: str | os.PathLike[str] | None) -> Path | str:
    """The usage store ``--db`` (else ``FREEGIN_DB``, else the default file) names: a
    ``postgresql://`` URL as given, or the path of a SQLite file."""
    given = os.fspath(option) if option is not None else os.environ.get("FREEGIN_DB") or None
    if given is not None:
        return given if is_postgres_url(given) else Path(given)
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False) / "usage.db"


def cache_dir() -> Path:
    if os.environ.get("FREEGIN_CACHE_DIR"):
        return Path(os.environ["FREEGIN_CACHE_DIR"])
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False)


LOCK_NAME = "freegin-ai.lock"
JOURNAL_NAME = "freegin-ai.journal"


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


def journal_path(root: Path) -> Path:
    """Where an edit of the repository at ``root`` keeps its journal: beside its lock."""
    return lock_path(root).with_name(JOURNAL_NAME)


EDITED_FOLDERS = ("catalog", "catalog/providers", "catalog/suggestions")


def edit_interrupted(root: Path) -> bool:
    """Whether an edit of the catalog at ``root`` was interrupted: its journal is there, or files
    a killed write left beside catalog files (a few directory reads, no lock)."""
    if journal_path(root).exists():
        return True
    from freegin_gitops.adapters.file_journal import has_strays

    return has_strays(root, EDITED_FOLDERS)
