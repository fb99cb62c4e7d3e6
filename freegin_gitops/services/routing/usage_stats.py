"""Opening the usage store a command names (``--db``, ``FREEGIN_DB``, the user data folder), and
usage figures for listing and refresh, read without creating a database that is not there."""

from __future__ import annotations

import os
from pathlib import Path

from freegin_gitops.core.usage import UsageKey, UsageStats
from freegin_gitops.core.usage_store import UsageStore
from freegin_gitops.errors import UsageStoreError
from freegin_gitops.services.catalog.paths import db_location

DbOption = str | os.PathLike[str] | None


def open_store(db_option: DbOption, *, create: bool = True) -> UsageStore | None:
    """The usage store ``db_option`` names (or the default one), migrated; None when it does not
    exist yet and ``create`` is false. A ``postgresql://`` URL opens the PostgreSQL store (its
    tables created on first use), anything else a SQLite file. The one place that picks the
    store's implementation; psycopg is imported only here, and only for a URL."""
    location = db_location(db_option)
    if isinstance(location, Path):
        if not create and not location.exists():
            return None
        from freegin_gitops.adapters.usage_db import SqliteUsageStore

        return SqliteUsageStore(location)
    try:
        from freegin_gitops.adapters.usage_pg import PostgresUsageStore
    except ImportError as exc:
        raise UsageStoreError(
            f"a postgresql:// usage database needs the 'postgres' extra ({exc.name} is not "
            "installed): pip install 'freegin-ai[postgres]'"
        ) from exc
    store = PostgresUsageStore(location, migrate=False)
    try:
        if not create and not store.initialised():
            store.close()
            return None
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store


def read_stats(db_option: DbOption) -> tuple[dict[UsageKey, UsageStats], str | None]:
    """Figures per provider x model x workload (empty when nothing was ever recorded), and why
    they are missing when the database opened but could not be read (damaged pages, missing
    tables); a database that cannot be opened is :class:`UsageStoreError`. A SQLite file is only
    read: it may be read-only."""
    location = db_location(db_option)
    if isinstance(location, Path):
        if not location.exists():
            return {}, None
        from freegin_gitops.adapters.usage_db import SqliteUsageStore

        store: UsageStore | None = SqliteUsageStore(location, read_only=True)
    else:
        store = open_store(db_option, create=False)
    if store is None:
        return {}, None
    try:
        return store.stats(), None
    except UsageStoreError as exc:
        return {}, str(exc)
    finally:
        store.close()
