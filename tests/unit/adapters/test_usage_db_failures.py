"""A usage row that cannot be written is an error, never silence: the caller hears of it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.core.usage import UsageRecord
from freegin_gitops.errors import UsageStoreError


def test_a_failed_insert_raises_and_keeps_nothing(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    with UsageStore(path) as store:
        store.record([UsageRecord("p", "m", "chat", latency_ms=5.0, success=True)])
        with sqlite3.connect(path) as conn:  # another process breaks the table under us
            conn.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON provider_usage BEGIN SELECT RAISE(ABORT, 'no'); END"
            )
        with pytest.raises(UsageStoreError, match=rf"^usage could not be recorded in {path}: no$"):
            store.record([UsageRecord("p", "m", "chat", latency_ms=6.0, success=True)])
        assert store.count() == 1 and store.stats()[("p", "m", "chat")].calls == 1
