"""Where user-specific files live: the usage database and caches.

``FREEGIN_DB`` moves the database, ``FREEGIN_CACHE_DIR`` the caches; otherwise the platform's user
data and cache directories are used (``~/.local/share/freegin-ai`` and ``~/.cache/freegin-ai`` on
Linux).
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "freegin-ai"


def db_path(option: Path | None) -> Path:
    if option is not None:
        return option
    if os.environ.get("FREEGIN_DB"):
        return Path(os.environ["FREEGIN_DB"])
    from platformdirs import user_data_path

    return user_data_path(APP, appauthor=False) / "usage.db"


def cache_dir() -> Path:
    if os.environ.get("FREEGIN_CACHE_DIR"):
        return Path(os.environ["FREEGIN_CACHE_DIR"])
    from platformdirs import user_cache_path

    return user_cache_path(APP, appauthor=False)
