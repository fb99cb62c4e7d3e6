"""Migrations of the usage database: an upgraded database gives exactly the figures of the same
rows recorded today, and its triggers count each new row once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.adapters.usage_schema import MIGRATIONS, hist_add
from freegin_gitops.core.usage import UsageRecord

KEY = ("p", "m", "chat")
ROWS = [  # (day, latency, success): spread over the histogram, one failure, one slow outlier
    (1, 100.0, True),
    (2, 300.0, True),
    (3, 50.0, False),
    (4, 120.0, True),
    (5, 2400.0, True),
    (6, 95.0, True),
    (7, 101.0, True),
    (8, 99.0, True),
    (9, 700.0, True),
    (10, 88.0, False),
]


def ts(day: int) -> str:
    return f"2026-11-{day:02d}T00:00:00.000Z"


def old_database(path: Path, version: int) -> None:
    with UsageStore(path, migrate=False) as store:
        store.migrate(upto=version)
    with sqlite3.connect(path) as conn:  # rows written by a freegin-ai of that version
        conn.create_function("freegin_hist_add", 3, hist_add, deterministic=True)
        conn.executemany(
            "INSERT INTO provider_usage (ts, provider, model, workload, latency_ms, success) "
            "VALUES (?,?,?,?,?,?)",
            [(ts(day), *KEY, latency, int(ok)) for day, latency, ok in ROWS],
        )


def recorded_today(path: Path) -> UsageStore:
    store = UsageStore(path)
    store.record([UsageRecord(*KEY, latency_ms=lat, success=ok, ts=ts(day)) for day, lat, ok in ROWS])
    return store


def test_an_upgraded_database_gives_the_figures_of_rows_recorded_now(tmp_path: Path) -> None:
    for version in range(1, len(MIGRATIONS)):
        path = tmp_path / f"v{version}.db"
        old_database(path, version)
        with UsageStore(path) as upgraded, recorded_today(tmp_path / f"fresh{version}.db") as fresh:
            assert upgraded.version == len(MIGRATIONS)
            got, want = upgraded.stats()[KEY], fresh.stats()[KEY]
            assert got == want, f"from version {version}"
            assert (got.calls, got.successes) == (10, 8)
            assert got.p95_latency_ms is not None and 2280 <= got.p95_latency_ms <= 2520  # 2400 within 5 %


def test_after_an_upgrade_a_new_row_is_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    old_database(path, 1)
    extra = UsageRecord(*KEY, latency_ms=10.0, success=True, ts=ts(20))
    with UsageStore(path) as upgraded, recorded_today(tmp_path / "fresh.db") as fresh:
        upgraded.record([extra])
        fresh.record([extra])
        assert upgraded.stats()[KEY] == fresh.stats()[KEY]
        assert upgraded.stats()[KEY].calls == 11 and upgraded.count() == 11
