"""The two usage stores side by side, in one run: SQLite (a file) and PostgreSQL (a server).

    .venv/bin/python benchmarks/usage_stores.py              # 1,000,000 rows in each
    .venv/bin/python benchmarks/usage_stores.py --rows 200000

PostgreSQL is the server at ``FREEGIN_BENCH_POSTGRES_URL`` (else ``FREEGIN_TEST_POSTGRES_URL``,
else ``postgresql://127.0.0.1:5432/test``), in a schema made for the run and dropped after it.
Each store gets the same rows: spread over the last 30 days, 40 providers x 7 models x 3
workloads, one in 13 a failure. The first of them are set up in batches of 50,000 (one
``executemany`` a batch on SQLite, one ``INSERT ... SELECT unnest`` on PostgreSQL: each a single
statement, so minutes for a million rows), not measured; the last ``--measured`` (100,000) go
in as the gateway's usage writer sends them, then the reads are measured at the full count.
Measured, for each store, with PostgreSQL as a ratio to SQLite:

- the last rows in batches of 500 (what the gateway's usage writer does), rows per second;
- 8 processes writing at once, one transaction per row (what ``ask`` does), rows per second,
  and whether every row was kept;
- ``stats()`` over all rows (what ``list-models`` and refresh read), median of 15, right after
  the batched inserts (the rollup as a busy gateway leaves it, no vacuum in between);
- ``count_windows()`` of one candidate's budgets (model and provider x minute, hour, day: what
  the router asks before each call), median of 200.

Timings on a shared machine are noisy: the stores run one after the other, the run prints its
start and end (UTC) and the load average then, and the read measurements take medians.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from freegin_gitops.core.usage import UsageRecord, WindowQuery, iso_utc  # noqa: E402
from freegin_gitops.core.usage_store import UsageStore  # noqa: E402
from freegin_gitops.services.routing.usage_stats import open_store  # noqa: E402

BATCH = 500
SETUP_BATCH = 50_000
PROVIDERS = [f"provider-{i}" for i in range(40)]
WORKERS = 8
PER_WORKER = 250


def rows(total: int, now: float, start: int, stop: int, size: int) -> Iterator[list[UsageRecord]]:
    """Rows ``start`` to ``stop`` of ``total``, in batches of ``size``."""
    span = 30 * 86400
    batch: list[UsageRecord] = []
    for i in range(start, stop):
        batch.append(
            UsageRecord(
                PROVIDERS[i % 40],
                f"model-{i % 7}",
                ("chat", "code", "summarisation")[i % 3],
                float(50 + (i * 7919) % 5000),
                i % 13 != 0,
                error_kind=None if i % 13 else "server_error",
                total_tokens=(i * 31) % 900,
                ts=iso_utc(now - span + span * i / total),
            )
        )
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _writer(location: str, worker: int, count: int) -> None:
    store = open_store(location)
    assert store is not None
    with contextlib.closing(store):
        for i in range(count):
            store.record([UsageRecord(f"w{worker}", "m", "chat", float(i % 900 + 50), i % 10 != 0)])


def concurrent_inserts(location: str) -> tuple[float, int]:
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(location, w, PER_WORKER)) for w in range(WORKERS)]
    start = time.perf_counter()
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    took = time.perf_counter() - start
    store = open_store(location)
    assert store is not None
    with contextlib.closing(store):
        kept = sum(s.calls for (p, _, _), s in store.stats().items() if p.startswith("w"))
    return WORKERS * PER_WORKER / took, kept


def median_time(call: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def budget_queries(now: float) -> list[WindowQuery]:
    return [
        WindowQuery("provider-3", model, now - length)
        for model in ("model-3", None)
        for length in (60.0, 3600.0, 86400.0)
    ]


def measure(location: str, total: int, measured: int, now: float) -> dict[str, float]:
    """The figures of one store; ``now`` (the same for both stores) places the rows and windows."""
    store: UsageStore | None = open_store(location)
    assert store is not None
    with contextlib.closing(store):
        start = time.perf_counter()
        for batch in rows(total, now, 0, total - measured, SETUP_BATCH):
            store.record(batch)
        setup = time.perf_counter() - start
        start = time.perf_counter()
        for batch in rows(total, now, total - measured, total, BATCH):
            store.record(batch)
        load = measured / (time.perf_counter() - start)
        figures = store.stats()
        assert sum(s.calls for s in figures.values()) == total, "rows lost"
        queries = budget_queries(now)
        day = store.count_windows(queries)[2]
        stats_s = median_time(store.stats, 15)
        count_s = median_time(lambda: store.count_windows(queries), 200)
    per_second, kept = concurrent_inserts(location)
    return {
        "setup": setup,
        "load": load,
        "concurrent": per_second,
        "kept": kept,
        "stats": stats_s,
        "count": count_s,
        "day_requests": day.requests,
    }


def rollup_size(url: str) -> str:
    """The rollup table's size on disk (its old row versions included) and its row count."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        size, count = db.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('usage_rollup')), count(*) FROM usage_rollup"
        ).fetchone() or ("?", 0)
    return f"{size} for {count} rows"


def moment() -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime())} UTC, load average {load}"


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    import psycopg

    from tests.support.postgres import in_schema

    base = (
        os.environ.get("FREEGIN_BENCH_POSTGRES_URL")
        or os.environ.get("FREEGIN_TEST_POSTGRES_URL")
        or "postgresql://127.0.0.1:5432/test"
    )
    schema = f"freegin_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base, autocommit=True) as db:
        db.execute(f'CREATE SCHEMA "{schema}"')  # type: ignore[arg-type]
    try:
        yield in_schema(base, schema)
    finally:
        with psycopg.connect(base, autocommit=True) as db:
            db.execute(f'DROP SCHEMA "{schema}" CASCADE')  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--measured", type=int, default=100_000, help="rows inserted in batches of 500")
    args = parser.parse_args(argv)
    measured = min(args.measured, args.rows)
    with tempfile.TemporaryDirectory(prefix="freegin-bench-") as work, postgres_schema() as url:
        print(f"{args.rows:,} rows per store; PostgreSQL at {url.split('?')[0]}", flush=True)
        print(f"started {moment()}", flush=True)
        now = time.time()
        sqlite = measure(str(Path(work) / "usage.db"), args.rows, measured, now)
        postgres = measure(url, args.rows, measured, now)
        rollup = rollup_size(url)
    print(f"ended {moment()}\n")
    expected = WORKERS * PER_WORKER
    lines = [
        (f"set-up, first {args.rows - measured:,} rows in batches of {SETUP_BATCH:,}", "s", "setup", None),
        (f"insert, last {measured:,} rows in batches of {BATCH}", "rows/s", "load", True),
        (f"{WORKERS} processes at once, a transaction per row", "rows/s", "concurrent", True),
        (f"stats(), {args.rows:,} rows", "ms", "stats", False),
        ("count_windows(), one candidate's 6 windows", "ms", "count", False),
    ]
    print("| figure | SQLite | PostgreSQL | PostgreSQL / SQLite |")
    print("|---|---|---|---|")
    for name, unit, key, rate in lines:
        s, p = sqlite[key], postgres[key]
        if rate is None:
            a, b = f"{s:.1f}", f"{p:.1f}"
        else:
            a, b = (f"{s:,.0f}", f"{p:,.0f}") if rate else (f"{s * 1000:.2f}", f"{p * 1000:.2f}")
        print(f"| {name} | {a} {unit} | {b} {unit} | {p / s:.2f}x |")
    print(
        f"| rows kept by the {WORKERS} processes | {sqlite['kept']:,} of {expected:,} | "
        f"{postgres['kept']:,} of {expected:,} | - |"
    )
    print(f"\nPostgreSQL usage_rollup after the run: {rollup}")
    ok = sqlite["kept"] == postgres["kept"] == expected and sqlite["day_requests"] == postgres["day_requests"]
    print("both stores kept every row and counted the same budgets" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
