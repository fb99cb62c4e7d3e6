"""Opening the usage store a command names (``--db``, ``FREEGIN_DB``, the user data folder), and
usage figures for listing and refresh, read without creating a database that is not there."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from freegin_gitops.core.budgets import BudgetState, plan_budget, provider_limits
from freegin_gitops.core.catalog import Provider
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


def open_for_reading(db_option: DbOption) -> UsageStore | None:
    """The usage store to read figures from, or None when there is none yet. A SQLite file is
    opened read-only (it may not be writable); :class:`UsageStoreError` if it cannot be opened."""
    location = db_location(db_option)
    if isinstance(location, Path):
        if not location.exists():
            return None
        from freegin_gitops.adapters.usage_db import SqliteUsageStore

        return SqliteUsageStore(location, read_only=True)
    return open_store(db_option, create=False)


def read_stats(db_option: DbOption) -> tuple[dict[UsageKey, UsageStats], str | None]:
    """Figures per provider x model x workload (empty when nothing was ever recorded), and why
    they are missing when the database opened but could not be read (damaged pages, missing
    tables); a database that cannot be opened is :class:`UsageStoreError`. A SQLite file is only
    read: it may be read-only."""
    store = open_for_reading(db_option)
    if store is None:
        return {}, None
    try:
        return store.stats(), None
    except UsageStoreError as exc:
        return {}, str(exc)
    finally:
        store.close()


class BudgetReader:
    """Counts the budgets of listed models in the usage store, one provider at a time; counts
    nothing when there is no store yet (nothing was used). Use as a context manager."""

    def __init__(self, db_option: DbOption, now: float) -> None:
        self.now = now
        self._option = db_option
        self._store: UsageStore | None = None
        self._opened = False
        self.problem: str | None = None  # why budgets stopped being counted, if they did

    def __enter__(self) -> BudgetReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._store is not None:
            self._store.close()

    def of(self, provider: Provider, models: Iterable[str]) -> dict[str, BudgetState]:
        """The budgets of each of ``models`` (of ``provider``) that has limits, by model id."""
        wanted = [(m, *provider_limits(provider, m)) for m in dict.fromkeys(models)]
        wanted = [w for w in wanted if w[1].declared or w[2].declared]
        if not wanted:
            return {}
        if not self._opened:
            self._store, self._opened = open_for_reading(self._option), True
        if self._store is None:
            return {}
        out = {}
        try:
            for model, own, shared in wanted:
                plan = plan_budget(provider.id, model, own, shared, self.now)
                out[model] = plan.state(self._store.count_windows(plan.queries()))
        except UsageStoreError as exc:  # no budgets shown from here on, and the command says why
            self.problem = self.problem or str(exc)
            self._store.close()
            self._store = None
            return {}
        return out
