"""The usage sidecar: migrations, rows, figures, cool-downs, several writers at once."""

from __future__ import annotations

import math
import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from freegin_gitops.adapters import usage_db
from freegin_gitops.adapters.usage_db import MIGRATIONS, UsageRecord, UsageStore


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


def test_stats_per_provider_model_workload(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.record([rec(100), rec(200), rec(999, success=False), rec(50, key=("q", "m", "code"))])
        stats = store.stats()
    p = stats[("p", "m", "chat")]
    assert (p.calls, p.successes, p.success_rate, p.mean_latency_ms) == (3, 2, 2 / 3, 150.0)
    assert stats[("q", "m", "code")].calls == 1


def test_p95_is_within_five_percent_of_the_exact_value(tmp_path: Path):
    latencies = [10 + (i * 37) % 4000 for i in range(2000)]
    with UsageStore(tmp_path / "u.db") as store:
        store.record([rec(x) for x in latencies])
        p95 = store.stats()[("p", "m", "chat")].p95_latency_ms
    exact = sorted(latencies)[math.ceil(0.95 * len(latencies)) - 1]
    assert p95 is not None
    assert exact <= p95 <= exact * 1.05 + 1


def test_the_trigger_fills_the_histogram_bucket_by_bucket(tmp_path: Path):
    values = [0.2, 1, 1.04, 1.06, 99.9, 100, 12345.6, 10**9]
    with UsageStore(tmp_path / "u.db") as store:
        store.record([rec(v) for v in values])
        store.record([rec(500, success=False)])
    with sqlite3.connect(tmp_path / "u.db") as conn:
        (blob,) = conn.execute("SELECT latency_hist FROM usage_rollup").fetchone()
    counts = usage_db.decode_histogram(blob)
    expected = [0] * usage_db.BUCKETS
    for v in values:
        expected[usage_db.latency_bucket(v)] += 1
    assert list(counts) == expected
    assert usage_db.latency_bucket(10**9) == usage_db.BUCKETS - 1


def test_cooldowns_keep_the_later_deadline_and_expire(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.set_cooldown("p", 200.0, "HTTP 429, Retry-After 100s")
        store.set_cooldown("p", 150.0, "HTTP 429")
        assert store.cooldowns(now_epoch=100.0) == {"p": (200.0, "HTTP 429, Retry-After 100s")}
        assert store.cooldowns(now_epoch=201.0) == {}


def _writer(path: str, worker: int, rows: int) -> None:
    with UsageStore(Path(path)) as store:
        for i in range(rows):
            store.record([rec(float(i), key=(f"p{worker}", "m", "chat"))])


def test_several_processes_writing_at_once_lose_no_row(tmp_path: Path):
    path = tmp_path / "shared.db"
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(str(path), w, 150)) for w in range(4)]
    for p in workers:
        p.start()
    for p in workers:
        p.join(120)
        assert p.exitcode == 0
    with UsageStore(path) as store:
        assert store.count() == 600
        stats = store.stats()
    assert [stats[(f"p{w}", "m", "chat")].calls for w in range(4)] == [150] * 4


def test_unwritable_location_is_one_clear_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(usage_db.UsageStoreError, match="cannot be opened"):
        UsageStore(blocker / "u.db")
