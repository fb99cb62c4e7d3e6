"""Opening the usage store a command names (``--db``, ``FREEGIN_DB``, the user data folder), and
usage figures for listing and refresh, read without creating a database that is not there."""

from __future__ import annotations

from pathlib import Path

from freegin_gitops.core.usage import UsageKey, UsageStats
from freegin_gitops.core.usage_store import UsageStore
from freegin_gitops.services.catalog.paths import db_path


def open_store(db_option: Path | None, *, create: bool = True) -> UsageStore | None:
    """The usage store at ``db_option`` (or the default place), migrated; None when it does not
    exist and ``create`` is false. The one place that picks the store's implementation."""
    path = db_path(db_option)
    if not create and not path.exists():
        return None
    from freegin_gitops.adapters.usage_db import SqliteUsageStore

    return SqliteUsageStore(path)


def read_stats(db_option: Path | None) -> dict[UsageKey, UsageStats]:
    """Figures per provider x model x workload; empty when nothing was ever recorded."""
    store = open_store(db_option, create=False)
    if store is None:
        return {}
    try:
        return store.stats()
    finally:
        store.close()
