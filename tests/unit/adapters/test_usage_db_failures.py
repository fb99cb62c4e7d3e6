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
        with pytest.raises(
            UsageStoreError,
            match=rf"^usage could not be recorded in the usage database {path}: no; move it aside or name "
            r"another with --db$",
        ):
            store.record([UsageRecord("p", "m", "chat", latency_ms=6.0, success=True)])
        assert store.count() == 1 and store.stats()[("p", "m", "chat")].calls == 1


def test_the_connection_waits_for_other_writers_and_is_durable_enough(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "deep" / "er" / "u.db") as store:  # folders are made
        pragma = {
            name: store._db.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("busy_timeout", "synchronous")
        }
        assert pragma == {"busy_timeout": 30_000, "synchronous": 1}  # 1: NORMAL (with WAL)
        assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_closing_closes_the_connection(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "u.db") as store:
        connection = store._db
    with pytest.raises(sqlite3.ProgrammingError):
        connection.execute("SELECT 1")


def test_a_newer_database_is_refused_before_anything_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(UsageStoreError, match="has schema version 99, newer than this"):
        UsageStore(path)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT name FROM sqlite_master").fetchall() == []


def test_migrating_to_the_current_version_again_changes_nothing(tmp_path: Path) -> None:
    with UsageStore(tmp_path / "u.db") as store:
        version = store.version
        store.migrate()
        store.migrate(upto=version)
        assert store.version == version


def test_one_store_serves_several_threads(tmp_path: Path) -> None:
    import threading

    with UsageStore(tmp_path / "u.db") as store:
        errors: list[BaseException] = []

        def write() -> None:
            try:
                store.record([UsageRecord("p", "m", "chat", latency_ms=1.0, success=True)])
            except BaseException as exc:  # collected: a thread's error would otherwise vanish
                errors.append(exc)

        threads = [threading.Thread(target=write) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert (errors, store.count()) == ([], 4)
