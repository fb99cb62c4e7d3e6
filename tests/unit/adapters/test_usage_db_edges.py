"""The SQLite usage store at its edges: files that are not files, a reader's wait and threads,
and a database made newer by another process while this one waits to migrate it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.adapters.usage_schema import MIGRATIONS
from freegin_gitops.core.usage import UsageRecord
from freegin_gitops.errors import UsageStoreError

ROW = UsageRecord("p", "m", "chat", latency_ms=5.0, success=True)


@pytest.mark.parametrize("read_only", [False, True], ids=["writer", "reader"])
@pytest.mark.parametrize("suffix", ["", "-wal", "-journal"])
def test_a_folder_where_the_database_or_its_journal_belongs_is_refused_by_name(
    tmp_path: Path, suffix: str, read_only: bool
) -> None:
    path = tmp_path / "u.db"
    if suffix:
        UsageStore(path).close()
    folder = tmp_path / f"u.db{suffix}"
    folder.mkdir()
    with pytest.raises(UsageStoreError) as caught:
        UsageStore(path, read_only=read_only)
    assert str(caught.value) == (
        f"cannot open the usage database {path}: {folder} is not a regular file; "
        "move it aside or name another with --db"
    )


def test_a_reader_refuses_a_database_newer_than_it_knows(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    UsageStore(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(UsageStoreError, match=rf"^the usage database {path} has schema version 99, newer"):
        UsageStore(path, read_only=True)


def test_a_reader_waits_for_writers_as_long_as_a_writer_does(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    UsageStore(path).close()
    with UsageStore(path, read_only=True) as store:
        assert store._db.execute("PRAGMA busy_timeout").fetchone()[0] == 30_000


def test_a_reader_serves_other_threads(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    with UsageStore(path) as writer:
        writer.record([ROW])
    found: list[object] = []
    with UsageStore(path, read_only=True) as store:
        thread = threading.Thread(target=lambda: found.append(store.stats()[("p", "m", "chat")].calls))
        thread.start()
        thread.join()
    assert found == [1]


def test_a_database_made_newer_while_waiting_to_migrate_is_refused_and_left_as_it_is(tmp_path: Path) -> None:
    """Another freegin-ai, newer, migrates the file between this one's first look at the version
    and its write lock: the version read again under the lock refuses it, never downgrades it."""
    path = tmp_path / "u.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 1")
    MIGRATIONS[0](sqlite3.connect(path))
    store = UsageStore(path, migrate=False)

    def newer_first(statement: str) -> None:
        if statement == "BEGIN IMMEDIATE":
            store._db.set_trace_callback(None)
            with sqlite3.connect(path) as other:
                other.execute("PRAGMA user_version = 99")

    store._db.set_trace_callback(newer_first)
    with pytest.raises(UsageStoreError, match="has schema version 99, newer than this freegin-ai knows"):
        store.migrate()
    store.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 99
