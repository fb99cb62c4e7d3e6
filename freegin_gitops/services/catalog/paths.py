"""Where user-specific files live: the usage database and caches.

``FREEGIN_DB`` moves the database (or names a PostgreSQL one, ``postgresql://...``),
``FREEGIN_CACHE_DIR`` the caches; otherwise the platform's user data and cache directories are
used (``~/.local/share/freegin-ai`` and ``~/.cache/freegin-ai`` on Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

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
