"""A usage row that cannot be written is an error, never silence: the caller hears of it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.adapters.usage_schema import MIGRATIONS
from freegin_gitops.core.usage import Cooldown, UsageRecord, WindowQuery
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
        store._db.execute("DROP TRIGGER refuse")  # the failed write was rolled back: the next one works
        store.record([UsageRecord("p", "m", "chat", latency_ms=7.0, success=True)])
        assert store.count() == 2


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


def tail(path: Path) -> str:
    return f"the usage database {path}: "


def test_a_file_that_is_not_a_database_is_called_damaged(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    path.write_bytes(b"this is not a database, just text long enough to have a header" * 20)
    with pytest.raises(UsageStoreError) as caught:
        UsageStore(path)
    assert str(caught.value) == (
        f"cannot open {tail(path)}it is damaged (file is not a database); "
        "move it aside or name another with --db"
    )
    with pytest.raises(UsageStoreError, match=r"^cannot read the usage database .*: it is damaged \("):
        UsageStore(path, read_only=True)


def test_a_folder_that_cannot_be_made_is_one_sentence(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("in the way\n")
    path = tmp_path / "file" / "u.db"
    with pytest.raises(
        UsageStoreError, match=r"^the usage database .*/file/u\.db cannot be opened: File exists$"
    ):
        UsageStore(path)


@pytest.mark.parametrize(
    ("table", "read", "doing"),
    [
        ("usage_rollup", lambda s: s.stats(), "usage figures cannot be read from"),
        (
            "usage_hour",
            lambda s: s.count_windows([WindowQuery("p", "m", 0.0)]),
            "budget counts cannot be read from",
        ),
        ("cooldown", lambda s: s.active_cooldowns(0.0), "cool-downs cannot be read from"),
        ("rate_limit_seen", lambda s: s.rate_limits(), "rate-limit headers cannot be read from"),
        (
            "cooldown",
            lambda s: s.cool_down(Cooldown("p", None, 1.0, "x")),
            "a cool-down could not be recorded in",
        ),
    ],
)
def test_missing_tables_are_named_with_what_could_not_be_done(
    tmp_path: Path, table: str, read: Callable[[UsageStore], object], doing: str
) -> None:
    path = tmp_path / "u.db"
    with UsageStore(path) as store:
        store._db.execute(f"DROP TABLE {table}")
        with pytest.raises(UsageStoreError) as caught:
            read(store)
    assert str(caught.value) == (
        f"{doing} {tail(path)}it lacks the tables its schema version promises (no such table: {table}); "
        "move it aside or name another with --db"
    )


def test_writing_through_a_read_only_connection_says_it_is_read_only(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    UsageStore(path).close()
    with UsageStore(path, read_only=True) as store:
        assert store.version == len(MIGRATIONS) and store.active_cooldowns(0.0) == []
        with pytest.raises(UsageStoreError) as caught:
            store.cool_down(Cooldown("p", None, 1.0, "x"))
    assert str(caught.value) == (
        f"a cool-down could not be recorded in {tail(path)}it is read-only; "
        "move it aside or name another with --db"
    )


def test_reading_only_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(
        UsageStoreError, match=r"^cannot read the usage database .*missing\.db: unable to open"
    ):
        UsageStore(path, read_only=True)
    assert not path.exists()
