"""The budget count of one candidate: what the router asks the usage store before each call.

    .venv/bin/python benchmarks/budget_counts.py              # 1,000,000 rows (the target's size)
    .venv/bin/python benchmarks/budget_counts.py --rows 200000

(``benchmarks/run.py --only budget`` runs the same step.) The measured model has a full day of
14,400 requests (a Cerebras or Groq daily budget) and five limits (its minute, hour and day, its
provider's minute and day); the other rows are spread over 30 days, 40 providers and 7 models.
Measured in one run, interleaved, medians of rounds of 100 counts:

- the count in the table of ``--rows`` rows: wall time (the target, <= 1 ms) and CPU time (what
  the count costs this process, whatever else the machine runs);
- the same count in a table holding only the measured model's 14,400 rows: the ratio says whether
  the count grows with the table (a rollup or an index per window does not; a scan would);
- counting the same windows by reading every row (what a store without the rollup would do),
  which is also checked to give the same numbers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.timing import Row, ms  # noqa: E402

HOT = 14_400  # the measured model's last day
NOW = dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC).timestamp()
ROUNDS = 9
PER_ROUND = 100


def _fill(path: Path, total_rows: int) -> None:
    from freegin_gitops.adapters.usage_db import SqliteUsageStore
    from freegin_gitops.core.usage import UsageRecord, iso_utc

    span = 30 * 86400.0
    with SqliteUsageStore(path) as store:
        batch = 50_000
        for offset in range(0, total_rows, batch):
            records = []
            for i in range(offset, min(offset + batch, total_rows)):
                if i < HOT:
                    provider, model, ts = "provider-0", "model-0", NOW - 64700 + i * 4.4
                else:
                    provider, model = f"provider-{i % 40}", f"model-{i % 7}"
                    ts = NOW - span + (i * 7919 % int(span))
                records.append(
                    UsageRecord(
                        provider, model, "chat", 100.0, i % 13 != 0, total_tokens=i % 900, ts=iso_utc(ts)
                    )
                )
            store.record(records)


def _scan(store: object, queries: list) -> list[int]:  # type: ignore[type-arg]
    from freegin_gitops.core.usage import iso_utc

    db = store._db  # type: ignore[attr-defined]
    found = []
    for q in queries:
        rows = db.execute("SELECT ts, provider, model FROM provider_usage NOT INDEXED").fetchall()
        since = iso_utc(q.since_epoch)
        wanted = (r for r in rows if r[1] == q.provider and (q.model is None or r[2] == q.model))
        found.append(sum(1 for r in wanted if r[0] >= since))
    return found


def budget_counts(work: Path, total_rows: int) -> list[Row]:
    from freegin_gitops.adapters.usage_db import SqliteUsageStore
    from freegin_gitops.core.budgets import Limits, plan_budget

    big_path, small_path = work / "budget-usage.db", work / "budget-usage-small.db"
    _fill(big_path, total_rows)
    _fill(small_path, HOT)
    own = Limits.from_mapping(
        {
            "requests_per_minute": 30,
            "requests_per_hour": 900,
            "requests_per_day": 14400,
            "tokens_per_minute": 60000,
            "tokens_per_day": 1000000,
        }
    )
    shared = Limits.from_mapping({"requests_per_minute": 60, "requests_per_day": 50000})
    plan = plan_budget("provider-0", "model-0", own, shared, NOW)
    queries = plan.queries()
    with SqliteUsageStore(big_path) as big, SqliteUsageStore(small_path) as small:
        state = plan.state(big.count_windows(queries))
        day = next(b for b in state.budgets if b.scope == "model" and b.window.period == "day")  # type: ignore[attr-defined]
        assert day.used >= HOT and day.used == _scan(big, queries)[2], (day, HOT)  # as reading every row
        wall: dict[str, list[float]] = {"big": [], "small": []}
        cpu: dict[str, list[float]] = {"big": [], "small": []}
        for _ in range(ROUNDS):
            for name, store in (("big", big), ("small", small)):
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(PER_ROUND):
                    plan.state(store.count_windows(queries))
                wall[name].append((time.perf_counter() - start) / PER_ROUND)
                cpu[name].append((time.process_time() - start_cpu) / PER_ROUND)
        scan_times = []
        for _ in range(3):
            start = time.perf_counter()
            _scan(big, queries)
            scan_times.append(time.perf_counter() - start)
    per_candidate, per_cpu = statistics.median(wall["big"]), statistics.median(cpu["big"])
    small_wall = statistics.median(wall["small"])
    scan = statistics.median(scan_times)
    return [
        Row(
            f"budget count of one candidate, {total_rows:,} rows (5 windows, {HOT:,} today)",
            ms(per_candidate),
            f"{HOT:,} rows {ms(small_wall)}",
            per_candidate / small_wall,
            "<= 1 ms; <= 1.5x",
            per_candidate <= 0.001 and per_candidate / small_wall <= 1.5,
        ),
        Row("  ... its CPU time", ms(per_cpu), "-", None, "<= 1 ms", per_cpu <= 0.001),
        Row("  ... reading every row instead", ms(scan), "-", per_candidate / scan, "-", None),
    ]


def main(argv: list[str] | None = None) -> int:
    from benchmarks.run import machine, print_table

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="usage rows in the table")
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC\n")
    with tempfile.TemporaryDirectory(prefix="freegin-bench-budget-") as work:
        rows = budget_counts(Path(work), args.rows)
        print_table(rows)
    return 0 if all(r.ok is not False for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
