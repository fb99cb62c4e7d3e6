"""Usage figures for listing and refresh, read without creating a database that is not there."""

from __future__ import annotations

from pathlib import Path

from freegin_gitops.core.usage import UsageKey, UsageStats
from freegin_gitops.services.catalog.paths import db_path


def read_stats(db_option: Path | None) -> dict[UsageKey, UsageStats]:
    """Figures per provider x model x workload; empty when nothing was ever recorded."""
    path = db_path(db_option)
    if not path.exists():
        return {}
    from freegin_gitops.adapters.usage_db import UsageStore

    with UsageStore(path) as store:
        return store.stats()
