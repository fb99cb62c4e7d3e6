"""The PostgreSQL store's upkeep of the figure tables every insert updates (migration 4): room on
each rollup page for the next versions of its rows, so updates stay on their page and the table
stays as small as its rows; and the histogram read as ``array_send``'s bytes. Against the real
server, each test in a schema of its own."""

from __future__ import annotations

from array import array
from pathlib import Path
from typing import cast

import psycopg
import pytest

from freegin_gitops.adapters import usage_pg_schema, usage_schema
from freegin_gitops.adapters.usage_db import SqliteUsageStore
from freegin_gitops.adapters.usage_pg import PostgresUsageStore
from freegin_gitops.adapters.usage_pg_schema import decode_histogram
from freegin_gitops.adapters.usage_schema import BUCKETS
from freegin_gitops.core.usage import UsageRecord, WindowQuery, iso_utc
from freegin_gitops.errors import UsageStoreError
from tests.support.postgres import execute

T0 = 1_795_600_800.0  # 2026-11-25T10:00:00Z
KEYS = [(f"provider-{i}", f"model-{i % 3}", "chat") for i in range(10)]


def batch(round_: int) -> list[UsageRecord]:
    """One attempt of every key, a minute after the round before."""
    return [
        UsageRecord(
            *key,
            latency_ms=40.0 + 13 * i + round_,
            success=(i + round_) % 4 != 0,
            error_kind=None if (i + round_) % 4 else "server_error",
            total_tokens=10 + i,
            ts=iso_utc(T0 + 60 * round_ + i),
        )
        for i, key in enumerate(KEYS)
    ]


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as db:
        return db.execute(sql).fetchall()


def pages(url: str) -> dict[object, int]:
    """The page of the table each key's rollup row is on."""
    return {
        provider: int(float(str(page)))
        for provider, page in query(url, "SELECT provider, (ctid::text::point)[0] FROM usage_rollup")
    }


def size(url: str) -> int:
    """The pages of the rollup table."""
    (found,) = query(url, "SELECT pg_relation_size('usage_rollup') / 8192")[0]
    return int(str(found))


def options(url: str, table: str) -> set[str]:
    (found,) = query(url, f"SELECT reloptions FROM pg_class WHERE oid = '{table}'::regclass")[0]
    return {str(option) for option in cast("list[object]", found or [])}


def figures(store: PostgresUsageStore | SqliteUsageStore) -> tuple[object, ...]:
    windows = [WindowQuery(p, m, T0 + 30) for p, m, _ in KEYS] + [WindowQuery("provider-3", None, T0)]
    return (
        store.stats(),
        [(w.requests, w.tokens) for w in store.count_windows(windows)],
        store.count(),
    )


def fresh(tmp_path: Path, rounds: int) -> tuple[object, ...]:
    """The figures of a SQLite store given the same batches now."""
    with SqliteUsageStore(tmp_path / f"fresh-{rounds}.db") as store:
        for round_ in range(rounds):
            store.record(batch(round_))
        return figures(store)


def test_upgrade_from_version_3_keeps_the_figures_and_compacts_the_rollup(
    postgres_url: str, tmp_path: Path
) -> None:
    with PostgresUsageStore(postgres_url, migrate=False) as store:
        store.migrate(upto=3)
        store.record(batch(0))
        first = pages(postgres_url)
        for round_ in range(1, 6):
            store.record(batch(round_))
        moved = pages(postgres_url)
        bloated = size(postgres_url)
        file_before = query(postgres_url, "SELECT pg_relation_filenode('usage_rollup')")
        store.migrate(upto=4)
        rewritten = query(postgres_url, "SELECT pg_relation_filenode('usage_rollup')") != file_before
        store.migrate()
        assert store.version == len(usage_pg_schema.MIGRATIONS)
        after = figures(store)
        store.record(batch(6))  # and the trigger still counts each new row once
        assert figures(store) == fresh(tmp_path, 7)
    # Packed full by version 3, the rows left their page when updated: the table grew.
    assert moved != first and bloated > 2 * len(set(first.values()))
    assert after == fresh(tmp_path, 6)
    # Rewritten (by CLUSTER, which keeps only the versions some transaction may still see:
    # left alone, the table is then as many pages as its rows fill, two a page).
    assert rewritten
    assert query(postgres_url, "SELECT version, name FROM freegin_migrations WHERE version = 4") == [
        (4, "v4_room_for_updates")
    ]


def test_the_rollup_and_minute_tables_get_room_on_their_pages_and_their_own_vacuum(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url):
        pass
    assert options(postgres_url, "usage_rollup") == {
        "fillfactor=50",
        "autovacuum_vacuum_scale_factor=0",
        "autovacuum_vacuum_threshold=1000",
        "autovacuum_vacuum_cost_delay=0",
    }
    assert options(postgres_url, "usage_minute") == {"fillfactor=90", "autovacuum_vacuum_scale_factor=0.02"}
    assert usage_pg_schema.ROLLUP_FILLFACTOR == 50 and usage_pg_schema.MINUTE_FILLFACTOR == 90


def test_updated_rollup_rows_stay_on_their_page(postgres_url: str) -> None:
    """Heap-only updates: each row's next version goes on its own page (no index entry, pruned
    by the next update of the page, no vacuum needed), since inserts leave half of it free."""
    with PostgresUsageStore(postgres_url) as store:
        store.record(batch(0))
        first = pages(postgres_url)
        store.record(batch(1))  # one new version a row: room for it without pruning the page
        assert pages(postgres_url) == first
        assert store.stats()[KEYS[4]].calls == 2
    per_page = [list(first.values()).count(page) for page in set(first.values())]
    assert max(per_page) <= 2  # rows of 1.4 kB: two to a page of 8 kB filled half


def test_the_histogram_is_decoded_from_the_bytes_the_server_sends(postgres_url: str) -> None:
    counts = [(i * 7919) % 65537 for i in range(BUCKETS)]
    counts[0], counts[-1] = 2**31 - 1, 1
    with psycopg.connect(postgres_url, autocommit=True) as db:
        literal = "ARRAY[" + ",".join(map(str, counts)) + "]::integer[]"
        (data,) = db.cursor(binary=True).execute(f"SELECT array_send({literal})").fetchone() or (b"",)
        (short,) = db.cursor(binary=True).execute("SELECT array_send(ARRAY[1, 2, 3])").fetchone() or (b"",)
        (nulls,) = db.cursor(binary=True).execute(
            "SELECT array_send(array_fill(0, ARRAY[318]) || ARRAY[NULL, NULL, NULL, NULL]::integer[])"
        ).fetchone() or (b"",)
        (cube,) = db.cursor(binary=True).execute(
            "SELECT array_send(array_fill(0, ARRAY[2, 3, 53]))"  # 318 counts, as many bytes as 320
        ).fetchone() or (b"",)
    assert decode_histogram(bytes(data)) == array("I", counts)
    assert len(bytes(nulls)) == len(bytes(cube)) == len(bytes(data))
    assert decode_histogram(bytes(short)) is None
    assert decode_histogram(bytes(nulls)) is None
    assert decode_histogram(bytes(cube)) is None


def test_a_histogram_that_is_not_one_count_a_bucket_is_one_sentence(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url) as store:
        store.record(batch(0))
        execute(postgres_url, "UPDATE usage_rollup SET latency_hist = '{1,2}' WHERE provider = 'provider-2'")
        with pytest.raises(UsageStoreError) as caught:
            store.stats()
    assert str(caught.value) == (
        f"the usage database {postgres_url} cannot be read: the latency histogram of "
        f"provider-2/model-2 (chat) is not {BUCKETS} counts"
    )


def test_the_histogram_bytes_follow_the_histogram_and_are_what_stats_reads(postgres_url: str) -> None:
    same = "SELECT count(*) FROM usage_rollup WHERE latency_sent = array_send(latency_hist)"
    with PostgresUsageStore(postgres_url) as store:
        store.record(batch(0))
        store.record(batch(1))
        assert query(postgres_url, same) == [(len(KEYS),)]
        # A histogram changed by hand gets its bytes too; stats() reads the bytes.
        execute(
            postgres_url,
            f"UPDATE usage_rollup SET latency_hist = array_fill(0, ARRAY[{BUCKETS - 1}]) || 9 "
            "WHERE provider = 'provider-1'",
        )
        assert query(postgres_url, same) == [(len(KEYS),)]
        assert store.stats()[KEYS[1]].p95_latency_ms == usage_schema.bucket_upper_ms(BUCKETS - 1)
        execute(
            postgres_url,
            "UPDATE usage_rollup SET latency_sent = array_send(array_fill(0, ARRAY[1]) || "
            f"array_fill(1, ARRAY[{BUCKETS - 1}])) WHERE provider = 'provider-1'",
        )
        assert store.stats()[KEYS[1]].p95_latency_ms == usage_schema.bucket_upper_ms(2)  # 2nd of 2


def test_upgrade_from_version_4_makes_the_bytes_of_every_histogram(postgres_url: str, tmp_path: Path) -> None:
    with PostgresUsageStore(postgres_url, migrate=False) as store:
        store.migrate(upto=4)
        store.record(batch(0))
        store.record(batch(1))
        store.migrate()
        assert figures(store) == fresh(tmp_path, 2)
        store.record(batch(2))
        assert figures(store) == fresh(tmp_path, 3)
    assert query(
        postgres_url, "SELECT count(*) FROM usage_rollup WHERE latency_sent = array_send(latency_hist)"
    ) == [(len(KEYS),)]
    assert size(postgres_url) == len(KEYS) // 2  # rewritten without the versions the upgrade made


def test_the_rows_have_the_indexes_the_edge_of_a_budget_window_is_counted_by(postgres_url: str) -> None:
    with PostgresUsageStore(postgres_url):
        pass
    found = query(
        postgres_url,
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'provider_usage' "
        "AND schemaname = current_schema() ORDER BY indexname",
    )
    assert [(name, str(definition).split(" USING ")[1]) for name, definition in found] == [
        ("provider_usage_model_ts", "btree (provider, model, ts)"),
        ("provider_usage_pkey", "btree (id)"),
        ("provider_usage_provider_ts", "btree (provider, ts)"),
    ]
