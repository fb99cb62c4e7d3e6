"""Opening the usage store a command names, and reading figures and budgets from it without
creating a database that is not there: over a real SQLite file and the real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore
from freegin_gitops.adapters.usage_schema import MIGRATIONS
from freegin_gitops.core.catalog import ApiSettings, ModelEntry, Provider
from freegin_gitops.core.usage import UsageRecord, iso_utc
from freegin_gitops.errors import UsageStoreError
from freegin_gitops.services.routing.usage_stats import (
    BudgetReader,
    open_for_reading,
    open_store,
    read_stats,
)

NOW = 1_800_000_000.0
KEY = ("p", "m", "chat")


def model(mid: str, limits: dict[str, object] | None = None) -> ModelEntry:
    return ModelEntry(mid, ("chat",), "active", dt.date(2026, 11, 1), limits=limits or {})


PROVIDER = Provider(
    "p",
    "P",
    ApiSettings("openai", "http://p.test/v1"),
    (model("m", {"requests_per_day": 10}), model("free")),
)
SHARED = Provider("q", "Q", ApiSettings("openai", "http://q.test/v1"), (model("m"),), {"requests_per_day": 5})


def recorded(path: Path, calls: int, provider: str = "p", mid: str = "m") -> None:
    with SqliteUsageStore(path) as store:
        record = UsageRecord(provider, mid, "chat", latency_ms=100.0, success=True, ts=iso_utc(NOW - 60))
        store.record([record] * calls)


def test_a_missing_sqlite_file_is_none_unless_it_may_be_created(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "u.db"
    assert open_store(path, create=False) is None
    assert not path.exists()
    store = open_store(path)
    assert isinstance(store, SqliteUsageStore) and store.version == len(MIGRATIONS)
    store.close()
    again = open_store(path, create=False)  # now it exists: opened, even without create
    assert isinstance(again, SqliteUsageStore)
    again.close()


def test_the_default_store_is_the_file_in_the_user_data_folder(tmp_path: Path) -> None:
    store = open_store(None)
    assert isinstance(store, SqliteUsageStore)
    store.close()
    assert store.path.name == "usage.db" and store.path.is_file()
    assert str(store.path).startswith(str(tmp_path))  # the isolated XDG data folder


def test_a_postgresql_url_without_its_driver_is_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "freegin_gitops.adapters.usage_pg", None)
    with pytest.raises(UsageStoreError, match=r"^a postgresql:// usage database needs the 'postgres' extra"):
        open_store("postgresql://127.0.0.1:1/none")


def test_a_postgresql_schema_without_tables_is_not_created_by_a_reader(postgres_url: str) -> None:
    assert open_store(postgres_url, create=False) is None
    assert open_for_reading(postgres_url) is None
    store = open_store(postgres_url)
    assert store is not None
    try:
        assert store.stats() == {}
        store.record([UsageRecord(*KEY, latency_ms=5.0, success=True)])
    finally:
        store.close()
    reader = open_store(postgres_url, create=False)
    assert reader is not None
    try:
        assert reader.stats()[KEY].calls == 1
    finally:
        reader.close()
    shown = open_for_reading(postgres_url)  # now there is something to read
    assert shown is not None
    try:
        assert shown.stats()[KEY].calls == 1
    finally:
        shown.close()


def test_reading_opens_an_existing_sqlite_file_read_only(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    assert open_for_reading(path) is None and not path.exists()
    recorded(path, 2)
    store = open_for_reading(path)
    assert store is not None
    try:
        assert store.stats()[KEY].calls == 2
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            store._db.execute("CREATE TABLE written (a)")
    finally:
        store.close()


def test_read_stats_gives_the_figures_or_why_they_are_missing(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    assert read_stats(path) == ({}, None)
    assert not path.exists()
    recorded(path, 3)
    stats, problem = read_stats(path)
    assert (stats[KEY].calls, problem) == (3, None)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE usage_rollup")
    stats, problem = read_stats(path)
    assert stats == {}
    assert problem is not None and problem.startswith("usage figures cannot be read from the usage database")
    assert "lacks the tables its schema version promises" in problem


def test_budgets_are_counted_for_models_with_limits_only(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    recorded(path, 4)
    with BudgetReader(path, NOW) as reader:
        budgets = reader.of(PROVIDER, ["m", "free", "m"])
        assert list(budgets) == ["m"]  # "free" declares no limits, nor does its provider
        [budget] = budgets["m"].budgets
        assert (budget.scope, budget.used, budget.limit, budgets["m"].spent) == ("model", 4, 10, None)
        assert reader.of(PROVIDER, ["free"]) == {}
        assert reader.problem is None
        store = reader._store
    assert store is not None
    with pytest.raises(sqlite3.ProgrammingError):  # closed on leaving
        store._db.execute("SELECT 1")


def test_a_provider_wide_limit_counts_every_model_of_it(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    recorded(path, 5, provider="q")
    with BudgetReader(path, NOW) as reader:
        state = reader.of(SHARED, ["m"])["m"]
    assert [(b.scope, b.used, b.limit) for b in state.budgets] == [("provider", 5, 5)]
    assert state.spent is not None


def test_without_a_database_budgets_count_nothing_and_nothing_is_created(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    with BudgetReader(path, NOW) as reader:
        assert reader.of(PROVIDER, ["m"]) == {}
        assert reader.problem is None
    assert not path.exists()


def test_the_database_is_opened_once_for_all_providers(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    with BudgetReader(path, NOW) as reader:
        assert reader.of(PROVIDER, ["m"]) == {}
        recorded(path, 1)  # made after the first look: the reader keeps what it found then
        assert reader.of(PROVIDER, ["m"]) == {}


def test_budgets_that_cannot_be_counted_say_why_and_stop(tmp_path: Path) -> None:
    path = tmp_path / "u.db"
    recorded(path, 1)
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE usage_hour")
    with BudgetReader(path, NOW) as reader:
        assert reader.of(PROVIDER, ["m"]) == {}
        first = reader.problem
        assert first is not None and first.startswith("budget counts cannot be read from the usage database")
        assert reader._store is None
        assert reader.of(SHARED, ["m"]) == {}  # nothing is asked of it again
        assert reader.problem == first
