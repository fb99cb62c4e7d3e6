"""The usage sidecar: migrations, rows, figures, cool-downs, several writers at once."""

from __future__ import annotations

import math
import multiprocessing
import random
import sqlite3
from pathlib import Path

import pytest

from freegin_gitops.adapters import usage_db, usage_schema
from freegin_gitops.adapters.usage_db import SqliteUsageStore as UsageStore
from freegin_gitops.adapters.usage_schema import MIGRATIONS
from freegin_gitops.core.usage import (
    Cooldown,
    RateLimitSeen,
    RateLimitValue,
    UsageRecord,
    WindowQuery,
    epoch_of,
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
    counts = usage_schema.decode_histogram(blob)
    expected = [0] * usage_schema.BUCKETS
    for v in values:
        expected[usage_schema.latency_bucket(v)] += 1
    assert list(counts) == expected
    assert usage_schema.latency_bucket(10**9) == usage_schema.BUCKETS - 1


def test_cooldowns_keep_the_later_deadline_and_expire(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.cool_down(Cooldown("p", None, 200.0, "HTTP 429, Retry-After 100s"))
        store.cool_down(Cooldown("p", None, 150.0, "HTTP 429"))
        assert store.active_cooldowns(100.0) == [Cooldown("p", None, 200.0, "HTTP 429, Retry-After 100s")]
        store.cool_down(Cooldown("p", None, 300.0, "daily quota"))
        assert store.active_cooldowns(100.0) == [Cooldown("p", None, 300.0, "daily quota")]
        assert store.active_cooldowns(300.0) == []


def test_a_model_cools_down_apart_from_its_provider_and_its_siblings(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.cool_down(Cooldown("groq", "a", 500.0, "HTTP 429 for a"))
        store.cool_down(Cooldown("groq", "b", 400.0, "HTTP 429 for b"))
        store.cool_down(Cooldown("groq", None, 200.0, "HTTP 429 for the key"))
        store.cool_down(Cooldown("groq", "a", 450.0, "earlier: ignored"))
        found = sorted(store.active_cooldowns(100.0), key=lambda c: c.until_epoch)
    assert found == [
        Cooldown("groq", None, 200.0, "HTTP 429 for the key"),
        Cooldown("groq", "b", 400.0, "HTTP 429 for b"),
        Cooldown("groq", "a", 500.0, "HTTP 429 for a"),
    ]
    assert found[2].covers("groq", "a") and not found[2].covers("groq", "b")
    assert found[0].covers("groq", "b") and not found[0].covers("cerebras", "b")


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


def test_window_counts_only_attempts_that_reached_the_provider(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.record(
            [
                attempt(seconds=1),
                attempt(seconds=2, success=False, kind="rate_limited", status=429, tokens=(None, None, None)),
                attempt(seconds=3, success=False, kind="timeout", status=None, tokens=(None, None, None)),
                attempt(seconds=4, success=False, kind="connect", status=None, tokens=(None, None, None)),
                attempt(seconds=5, tokens=(30, 12, None)),
                attempt(seconds=6, tokens=(30, None, None)),
            ]
        )
        (usage,) = store.count_windows([WindowQuery("p", "m", T0)])
    assert (usage.requests, usage.tokens) == (5, 10 + 42 + 30)


def test_windows_per_model_and_per_provider_start_where_asked(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.record(
            [
                attempt("a", -0.001),  # just before the window
                attempt("a", 0),  # at its start: counted
                attempt("a", 59.999),
                attempt("b", 30.5),
                attempt("a", 3600),
                attempt("a", 10, provider="q"),
            ]
        )
        counts = store.count_windows(
            [
                WindowQuery("p", "a", T0),
                WindowQuery("p", None, T0),
                WindowQuery("p", "b", T0 + 30.5),
                WindowQuery("p", "b", T0 + 30.501),
                WindowQuery("p", None, T0 + 3600),
                WindowQuery("q", None, T0 - 86400),
                WindowQuery("nobody", None, T0),
            ]
        )
    assert [(c.requests, c.tokens) for c in counts] == [
        (3, 30),
        (4, 40),
        (1, 10),
        (0, 0),
        (1, 10),
        (1, 10),
        (0, 0),
    ]
    assert counts[-1].oldest_epoch is None


def test_a_window_starting_inside_a_minute_counts_that_minute_exactly(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.record([attempt(seconds=s) for s in (60, 75, 80, 95, 119, 120, 130)])
        inside, later = store.count_windows([WindowQuery("p", "m", T0 + 80), WindowQuery("p", None, T0 + 96)])
    assert (inside.requests, inside.oldest_epoch) == (5, T0 + 80)  # 80, 95, 119 from the rows; 120, 130
    assert later.requests == 3
    assert later.oldest_epoch == T0 + 119


def test_the_oldest_request_of_a_window_is_exact_when_it_is_in_a_whole_minute(tmp_path: Path):
    with UsageStore(tmp_path / "u.db") as store:
        store.record([attempt(seconds=s) for s in (125.25, 170, 200)])
        store.record([attempt(seconds=121, kind="connect", success=False, status=None)])  # not counted
        (usage,) = store.count_windows([WindowQuery("p", "m", T0 + 60)])
    assert usage.requests == 3
    assert usage.oldest_epoch == T0 + 125.25


def test_window_counts_agree_with_counting_every_row(tmp_path: Path):
    rng = random.Random(14)
    records = [
        attempt(
            rng.choice("ab"),
            rng.uniform(-7200, 7200),
            provider=rng.choice(("p", "q")),
            success=(ok := rng.random() < 0.7),
            kind=None if ok else rng.choice(("connect", "timeout", "rate_limited")),
            tokens=(rng.randint(0, 50), rng.randint(0, 50), rng.choice((None, rng.randint(0, 99)))),
        )
        for _ in range(600)
    ]
    queries = [
        WindowQuery(rng.choice(("p", "q")), rng.choice(("a", "b", None)), T0 + rng.uniform(-7300, 7300))
        for _ in range(60)
    ]
    with UsageStore(tmp_path / "u.db") as store:
        store.record(records)
        counts = store.count_windows(queries)
    for query, usage in zip(queries, counts, strict=True):
        inside = [
            r
            for r in records
            if r.provider == query.provider
            and query.model in (None, r.model)
            and r.reached
            and r.ts is not None
            and r.ts >= iso_utc(query.since_epoch)
        ]
        assert (usage.requests, usage.tokens) == (len(inside), sum(r.tokens for r in inside)), query
        if inside:
            assert usage.oldest_epoch == min(epoch_of(r.ts) for r in inside if r.ts)
        else:
            assert usage.oldest_epoch is None


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


def test_rate_limit_headers_keep_the_latest_value_per_model_and_header(tmp_path: Path):
    def seen(seconds: float, limit: int, remaining: int, model: str = "m") -> UsageRecord:
        values = (RateLimitValue("requests", limit, remaining), RateLimitValue("tokens", 6000, None))
        return UsageRecord("p", model, "chat", 1.0, True, ts=at(seconds), rate_limits=values)

    with UsageStore(tmp_path / "u.db") as store:
        store.record([seen(10, 14400, 14399), seen(20, 14400, 14398), seen(5, 1000, 1), seen(1, 30, 29, "n")])
        found = store.rate_limits()
    assert found == [
        RateLimitSeen("p", "m", RateLimitValue("requests", 14400, 14398), at(20)),
        RateLimitSeen("p", "m", RateLimitValue("tokens", 6000, None), at(20)),
        RateLimitSeen("p", "n", RateLimitValue("requests", 30, 29), at(1)),
        RateLimitSeen("p", "n", RateLimitValue("tokens", 6000, None), at(1)),
    ]


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
                (usage_schema.WINDOW_MINUTES_SQL, ("p", "m", 0)),
                (usage_schema.WINDOW_EDGE_MODEL_SQL, ("p", "m", at(0), at(60))),
                (usage_schema.WINDOW_EDGE_PROVIDER_SQL, ("p", at(0), at(60))),
            )
        ]
    assert plans[0] == "SEARCH usage_minute USING PRIMARY KEY (provider=? AND model=? AND minute>?)"
    model_index = "provider_usage_model_ts (provider=? AND model=? AND ts>? AND ts<?)"
    assert plans[1] == f"SEARCH provider_usage USING INDEX {model_index}"
    provider_index = "provider_usage_provider_ts (provider=? AND ts>? AND ts<?)"
    assert plans[2] == f"SEARCH provider_usage USING INDEX {provider_index}"


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
