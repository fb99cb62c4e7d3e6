"""The SQLite usage store's own parts: migrations and upgrades, WAL, the triggers' blobs, query
plans. What every store must do is tested over both stores in test_usage_store_contract.py."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from freegin_gitops.adapters import usage_db, usage_schema
from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.adapters.usage_schema import MIGRATIONS
from freegin_gitops.core.usage import (
    Cooldown,
    UsageRecord,
    WindowQuery,
    iso_utc,
)


def rec(latency: float, success: bool = True, key=("p", "m", "chat"), ts: str | None = None) -> UsageRecord:
    return UsageRecord(
        *key, latency_ms=latency, success=success, error_kind=None if success else "timeout", ts=ts
    )


def test_blank_database_is_migrated_to_the_latest_version(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        assert store.version == len(MIGRATIONS)
    with sqlite3.connect(tmp_path / "u.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        columns = [r[1] for r in conn.execute("PRAGMA table_info(provider_usage)")]
    assert columns == [
        "id",
        "ts",
        "provider",
        "model",
        "workload",
        "latency_ms",
        "success",
        "error_kind",
        "status_code",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
    ]


def test_upgrade_from_the_first_schema_keeps_rows_and_backfills_figures(tmp_path: Path):
    path = tmp_path / "old.db"
    with UsageStore(path, migrate=False) as store:
        store.migrate(upto=1)
        assert store.version == 1
    with sqlite3.connect(path) as conn:  # rows written by a version-1 freegin-ai
        conn.executemany(
            "INSERT INTO provider_usage (ts, provider, model, workload, latency_ms, success) "
            "VALUES (?,?,?,?,?,?)",
            [
                ("2026-11-01T00:00:00.000Z", "p", "m", "chat", 100.0, 1),
                ("2026-11-02T00:00:00.000Z", "p", "m", "chat", 300.0, 1),
                ("2026-11-03T00:00:00.000Z", "p", "m", "chat", 50.0, 0),
            ],
        )
    with UsageStore(path) as store:
        assert store.version == len(MIGRATIONS)
        assert store.count() == 3
        stats = store.stats()[("p", "m", "chat")]
    assert (stats.calls, stats.successes, stats.mean_latency_ms) == (3, 2, 200.0)
    assert stats.last_used == "2026-11-03T00:00:00.000Z"


def test_a_newer_database_is_refused(tmp_path: Path):
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    with pytest.raises(usage_db.UsageStoreError, match="newer than this freegin-ai knows"):
        UsageStore(path)


def test_the_trigger_fills_the_histogram_bucket_by_bucket(tmp_path: Path):
    values = [0.2, 1, 1.04, 1.06, 99.9, 100, 12345.6, 10**9]
    with UsageStore(tmp_path / "u.db") as store:
        store.record([rec(v) for v in values])
        store.record([rec(500, success=False)])
    with sqlite3.connect(tmp_path / "u.db") as conn:
        (blob,) = conn.execute("SELECT latency_hist FROM usage_rollup").fetchone()
    counts = usage_schema.decode_histogram(blob)
    expected = [0] * usage_schema.BUCKETS
    for v in values:
        expected[usage_schema.latency_bucket(v)] += 1
    assert list(counts) == expected
    assert usage_schema.latency_bucket(10**9) == usage_schema.BUCKETS - 1


T0 = 1_795_600_800.0  # 2026-11-25T10:00:00Z, on a minute boundary


def at(seconds: float) -> str:
    return iso_utc(T0 + seconds)


def attempt(
    model: str = "m",
    seconds: float = 0.0,
    *,
    provider: str = "p",
    success: bool = True,
    kind: str | None = None,
    status: int | None = 200,
    tokens: tuple[int | None, int | None, int | None] = (None, None, 10),
) -> UsageRecord:
    prompt, completion, total = tokens
    return UsageRecord(
        provider,
        model,
        "chat",
        100.0,
        success,
        error_kind=kind,
        status_code=status,
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total,
        ts=at(seconds),
    )


def test_timestamps_are_stored_in_one_spelling_and_bad_ones_refused(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.record([UsageRecord("p", "m", "chat", 1.0, True, ts="2026-11-25T10:00:30+00:00")])
        store.record([UsageRecord("p", "m", "chat", 1.0, True, ts="2026-11-25T11:00:30.5+01:00")])
        with pytest.raises(usage_db.UsageStoreError, match=r"p/m has an invalid timestamp 'yesterday'"):
            store.record([UsageRecord("p", "m", "chat", 1.0, True, ts="yesterday")])
        (usage,) = store.count_windows([WindowQuery("p", "m", T0 + 30)])
    with sqlite3.connect(tmp_path / "u.db") as conn:
        stamps = [r[0] for r in conn.execute("SELECT ts FROM provider_usage ORDER BY id")]
    assert stamps == ["2026-11-25T10:00:30.000Z", "2026-11-25T10:00:30.500Z"]
    assert usage.requests == 2


def test_upgrade_from_provider_cooldowns_keeps_them_and_counts_old_rows(tmp_path: Path):
    path = tmp_path / "v3.db"
    with UsageStore(path, migrate=False) as store:
        store.migrate(upto=3)
    with sqlite3.connect(path) as conn:  # state written by a version-3 freegin-ai
        conn.create_function("freegin_hist_add", 3, usage_schema.hist_add)
        conn.execute("INSERT INTO provider_cooldown VALUES ('groq', 9e9, 'HTTP 429')")
        conn.executemany(
            "INSERT INTO provider_usage (ts, provider, model, workload, latency_ms, success, error_kind, "
            "total_tokens) VALUES (?,?,?,?,?,?,?,?)",
            [
                (at(0), "groq", "m", "chat", 1.0, 1, None, 10),
                (at(1), "groq", "m", "code", 1.0, 0, "connect", None),
                (at(61), "groq", "n", "chat", 1.0, 0, "server_error", None),
            ],
        )
    with UsageStore(path) as store:
        assert store.version == len(MIGRATIONS)
        assert store.active_cooldowns(0.0) == [Cooldown("groq", None, 9e9, "HTTP 429")]
        model, provider = store.count_windows([WindowQuery("groq", "m", T0), WindowQuery("groq", None, T0)])
        store.record([attempt("m", 2, provider="groq")])
        (after,) = store.count_windows([WindowQuery("groq", None, T0)])
    assert (model.requests, model.tokens) == (1, 10)
    assert (provider.requests, provider.tokens) == (2, 10)
    assert after.requests == 3
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "provider_cooldown" not in tables and {"cooldown", "usage_minute", "rate_limit_seen"} <= tables
    assert "provider_usage_key" not in indexes


def test_a_window_count_uses_the_indexes_not_a_scan(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.record([attempt(seconds=s) for s in range(0, 600, 7)])
    with sqlite3.connect(tmp_path / "u.db") as conn:
        plans = [
            " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, args))
            for sql, args in (
                (usage_schema.WINDOW_HOURS_SQL, ("p", "m", 0)),
                (usage_schema.WINDOW_MINUTES_SQL, ("p", "m", 0, 60)),
                (usage_schema.WINDOW_EDGE_MODEL_SQL, ("p", "m", at(0), at(60))),
                (usage_schema.WINDOW_EDGE_PROVIDER_SQL, ("p", at(0), at(60))),
                (usage_schema.WINDOW_OLDEST_MODEL_SQL, ("p", "m", at(0))),
                (usage_schema.WINDOW_OLDEST_PROVIDER_SQL, ("p", at(0))),
            )
        ]
    assert plans[0] == "SEARCH usage_hour USING PRIMARY KEY (provider=? AND model=? AND hour>?)"
    assert (
        plans[1] == "SEARCH usage_minute USING PRIMARY KEY (provider=? AND model=? AND minute>? AND minute<?)"
    )
    model_index = "provider_usage_model_ts (provider=? AND model=? AND ts>? AND ts<?)"
    assert plans[2] == f"SEARCH provider_usage USING INDEX {model_index}"
    provider_index = "provider_usage_provider_ts (provider=? AND ts>? AND ts<?)"
    assert plans[3] == f"SEARCH provider_usage USING INDEX {provider_index}"
    assert (
        plans[4]
        == "SEARCH provider_usage USING INDEX provider_usage_model_ts (provider=? AND model=? AND ts>?)"
    )
    assert plans[5] == "SEARCH provider_usage USING INDEX provider_usage_provider_ts (provider=? AND ts>?)"


def test_hour_counts_are_backfilled_from_the_minutes_on_upgrade(tmp_path: Path):
    path = tmp_path / "v4.db"
    with UsageStore(path, migrate=False) as store:
        store.migrate(upto=4)
        store.record([attempt(seconds=s) for s in (0, 70, 3700, 7300)])
    with UsageStore(path) as store:
        (all_of_it, later) = store.count_windows(
            [WindowQuery("p", "m", T0), WindowQuery("p", None, T0 + 3600)]
        )
        store.record([attempt(seconds=7400)])
        (after,) = store.count_windows([WindowQuery("p", "m", T0 + 3600)])
    assert (all_of_it.requests, later.requests, after.requests) == (4, 2, 3)


def test_unwritable_location_is_one_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(usage_db.UsageStoreError, match="cannot be opened"):
        UsageStore(blocker / "u.db")


def test_the_oldest_request_of_a_window_is_exact_even_in_a_whole_minute(tmp_path: Path):
    # The interface allows the end of the oldest minute; SQLite reads that minute's rows.
    t0 = 1_795_600_800.0
    with UsageStore(tmp_path / "u.db") as store:
        store.record(
            [UsageRecord("p", "m", "chat", 1.0, True, ts=iso_utc(t0 + s)) for s in (125.25, 170, 200)]
            + [UsageRecord("p", "m", "chat", 1.0, False, error_kind="connect", ts=iso_utc(t0 + 121))]
        )
        (usage,) = store.count_windows([WindowQuery("p", "m", t0 + 60)])
    assert (usage.requests, usage.oldest_epoch) == (3, t0 + 125.25)
