"""Migrations of the usage database: an upgraded database gives exactly the figures of the same
rows recorded today, and its triggers count each new row once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.adapters.usage_schema import (
    BUCKETS,
    MIGRATIONS,
    bucket_upper_ms,
    decode_histogram,
    encode_histogram,
    hist_add,
    latency_bucket,
    p95,
)
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


@pytest.mark.parametrize(
    ("latency", "bucket"),
    [(0.0, 0), (0.99, 0), (1.0, 0), (1.04, 0), (1.0501, 1), (100.0, 94), (1e12, BUCKETS - 1)],
)
def test_latency_buckets_are_five_percent_wide(latency: float, bucket: int) -> None:
    assert latency_bucket(latency) == bucket
    assert BUCKETS == 320 and bucket_upper_ms(0) == pytest.approx(1.05)


def test_the_histogram_blob_is_little_endian_uint32_per_bucket() -> None:
    assert encode_histogram(decode_histogram(None)) == bytes(4 * 320)
    blob = hist_add(hist_add(None, 1.2, 1), 1.2, 1)
    assert blob is not None and blob[12:16] == b"\x02\x00\x00\x00" and blob.count(0) == 4 * 320 - 1
    assert hist_add(blob, 1.2, 0) == blob  # a failure adds no latency
    assert hist_add(None, 5.0, 0) == bytes(4 * 320)


def test_p95_is_the_upper_edge_of_the_bucket_holding_the_95th_percentile() -> None:
    counts = decode_histogram(None)
    counts[3], counts[10] = 19, 1
    assert p95(counts, 20) == pytest.approx(1.05**4)  # rank 19 is in bucket 3
    counts[10] = 2
    assert p95(counts, 21) == pytest.approx(1.05**11)  # rank 20 is in bucket 10
    assert p95(counts, 0) is None
    assert p95(decode_histogram(None), 5) == pytest.approx(1.05**320)  # counted but not bucketed


def test_an_upgrade_fills_the_figures_of_a_key_that_only_failed(tmp_path: Path) -> None:
    failed = ("p", "down", "chat")
    for version in range(1, len(MIGRATIONS)):
        path = tmp_path / f"v{version}.db"
        old_database(path, version)
        with sqlite3.connect(path) as conn:
            conn.create_function("freegin_hist_add", 3, hist_add, deterministic=True)
            conn.executemany(
                "INSERT INTO provider_usage (ts, provider, model, workload, latency_ms, success, error_kind) "
                "VALUES (?,?,?,?,?,0,'timeout')",
                [(ts(day), *failed, 40.0) for day in (1, 2, 3)],
            )
        with UsageStore(path) as upgraded:
            got = upgraded.stats()
        assert (got[failed].calls, got[failed].successes, got[failed].p95_latency_ms) == (3, 0, None), version
        assert got[failed].mean_latency_ms is None and got[failed].last_used == ts(3)
        assert got[KEY].calls == 10, version
        with sqlite3.connect(path) as conn:
            [(blob,)] = conn.execute("SELECT latency_hist FROM usage_rollup WHERE model = 'down'").fetchall()
        assert blob == bytes(4 * BUCKETS)  # an empty histogram, not a missing one
