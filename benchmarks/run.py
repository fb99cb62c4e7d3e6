"""Measure freegin-ai against its performance targets and print one table.

    python benchmarks/run.py            # everything (a few minutes; builds its catalogs itself)
    python benchmarks/run.py --quick    # fewer repetitions, 200,000 usage rows instead of 1,000,000

Run it with the interpreter of the environment freegin-ai is installed in (``.venv/bin/python``).
It byte-compiles the package first, as ``pip install`` does: an editable install under
``PYTHONDONTWRITEBYTECODE=1`` would otherwise recompile every module on every start.
Every figure is a ratio to a baseline measured in the same run on the same machine: process
timings are medians of interleaved repetitions, so background load shifts both sides alike.
Nothing here reaches the network: providers are a local server.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.budget_counts import budget_counts  # noqa: E402
from benchmarks.catalogs import write_models_dev_catalog, write_synthetic_catalog  # noqa: E402
from benchmarks.scale import scale  # noqa: E402
from benchmarks.timing import FREEGIN, PYTHON, Row, ms, ratio_row, run_times  # noqa: E402


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def yaml_parse_time(catalog: Path, repeat: int) -> float:
    import yaml

    texts = [p.read_text() for p in sorted((catalog / "catalog").rglob("*.yaml"))]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def start_up(work: Path, env: dict[str, str], starter: Path, big: Path, repeat: int) -> list[Row]:
    route = ["route", "--workload", "chat", "--json"]
    times = run_times(
        {
            "pass": [PYTHON, "-c", "pass"],
            "route-starter": [*FREEGIN, "--repo", str(starter), *route],
            "route-big": [*FREEGIN, "--repo", str(big), *route],
            "validate-warm": [*FREEGIN, "--repo", str(big), "validate"],
        },
        env,
        repeat,
    )
    rows = [
        ratio_row("P1 route, starter catalog", times["route-starter"], times["pass"], "python -c pass", 8),
        ratio_row("P2 route, 5,276 models", times["route-big"], times["route-starter"], "P1", 1.5),
        ratio_row(
            "P4 validate again, unchanged", times["validate-warm"], times["pass"], "python -c pass", 10
        ),
    ]
    return rows


def cold_validate(work: Path, env: dict[str, str], big: Path, repeat: int) -> list[Row]:
    samples = []
    for i in range(max(3, repeat // 4)):
        cold_env = {**env, "FREEGIN_CACHE_DIR": str(work / f"cold-cache-{i}")}
        start = time.perf_counter()
        subprocess.run(
            [*FREEGIN, "--repo", str(big), "validate"], env=cold_env, capture_output=True, check=True
        )
        samples.append(time.perf_counter() - start)
    parse = yaml_parse_time(big, max(3, repeat // 4))
    return [
        ratio_row(
            "P3 validate cold, 5,276 models", statistics.median(samples), parse, "PyYAML C loader parse", 4
        )
    ]


def one_file_changed(big: Path) -> Row:
    """Validate after one provider file changed: how many files were parsed again, and how long."""
    from freegin_gitops.adapters.catalog_dir import read_catalog_dir
    from freegin_gitops.services.catalog import parse_cache

    files = read_catalog_dir(big)
    parse_cache.load_cached(big, files, need_documents=False)  # warm
    target = "catalog/providers/groq.yaml" if "catalog/providers/groq.yaml" in files else sorted(files)[-1]
    files[target] = files[target] + b"# edited\n"
    parsed: list[str] = []
    real = parse_cache.parse_file

    def counting(path: str, raw: bytes, kind: str | None = None):  # type: ignore[no-untyped-def]
        parsed.append(path)
        return real(path, raw, kind)

    parse_cache.parse_file = counting  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        parse_cache.load_cached(big, files, need_documents=False)
        took = time.perf_counter() - start
    finally:
        parse_cache.parse_file = real  # type: ignore[assignment]
    return Row(
        "P4 validate, one provider file changed",
        f"{len(parsed)} of {len(files)} files parsed, {ms(took)} in-process",
        "-",
        None,
        "only that file",
        parsed == [target],
    )


def selection(work: Path) -> list[Row]:
    from freegin_gitops.adapters.catalog_dir import read_catalog_dir
    from freegin_gitops.core.compiled_catalog import CompiledCatalog
    from freegin_gitops.core.routing import select_candidates
    from freegin_gitops.services.catalog.compiled_file import compile_result
    from freegin_gitops.services.catalog.loading import load_files
    from freegin_gitops.services.routing.router import Router

    dest = work / "synthetic"
    stats = write_synthetic_catalog(dest, models=20_000)
    catalog = CompiledCatalog(compile_result(load_files(read_catalog_dir(dest)), None, None).document)
    n = 20_000
    select_candidates(catalog, "chat")
    start = time.perf_counter()
    for _ in range(n):
        select_candidates(catalog, "chat")
    per_select = (time.perf_counter() - start) / n
    some = next(iter(catalog.document["providers"]))
    start = time.perf_counter()
    for _ in range(n):
        select_candidates(catalog, "code", some)
    per_provider = (time.perf_counter() - start) / n
    keys = {
        p["api"]["api_key_env"]: "x"
        for p in catalog.document["providers"].values()
        if p["api"].get("api_key_env")
    }
    router = Router(catalog, environ=keys)
    router.plan("chat")
    start = time.perf_counter()
    for _ in range(2_000):
        router.plan("chat")
    per_plan = (time.perf_counter() - start) / 2_000

    def us(seconds: float) -> str:
        return f"{seconds * 1e6:.1f} us"

    return [
        Row(
            f"candidate selection, {stats.models:,} models",
            us(per_select),
            "-",
            None,
            "<= 50 us",
            per_select <= 50e-6,
        ),
        Row(
            "  ... restricted to one provider", us(per_provider), "-", None, "<= 50 us", per_provider <= 50e-6
        ),
        Row(
            "  ... plan with key checks (8 attempts)", us(per_plan), "-", None, "<= 50 us", per_plan <= 50e-6
        ),
    ]


def _writer(path: str, worker: int, rows: int) -> None:
    from freegin_gitops.adapters.usage_db import SqliteUsageStore
    from freegin_gitops.core.usage import UsageRecord

    with SqliteUsageStore(Path(path)) as store:
        for i in range(rows):
            store.record([UsageRecord(f"p{worker}", "m", "chat", float(i % 900 + 50), i % 10 != 0)])


def usage(work: Path, total_rows: int) -> list[Row]:
    import multiprocessing

    from freegin_gitops.adapters.usage_db import SqliteUsageStore
    from freegin_gitops.core.usage import UsageRecord

    path = work / "usage.db"
    providers = [f"provider-{i}" for i in range(40)]
    with SqliteUsageStore(path) as store:
        batch = 50_000
        stamp = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        for offset in range(0, total_rows, batch):
            store.record(
                [
                    UsageRecord(
                        providers[i % 40],
                        f"model-{i % 7}",
                        ("chat", "code", "summarisation")[i % 3],
                        float(50 + (i * 7919) % 5000),
                        i % 13 != 0,
                        ts=(stamp + dt.timedelta(seconds=i)).isoformat().replace("+00:00", "Z"),
                    )
                    for i in range(offset, min(offset + batch, total_rows))
                ]
            )
        samples = []
        for _ in range(7):
            start = time.perf_counter()
            figures = store.stats()
            samples.append(time.perf_counter() - start)
        assert sum(s.calls for s in figures.values()) == total_rows
    stats_time = statistics.median(samples)

    shared = work / "shared.db"
    per_worker = 2_000
    ctx = multiprocessing.get_context("spawn")
    workers = [ctx.Process(target=_writer, args=(str(shared), w, per_worker)) for w in range(4)]
    start = time.perf_counter()
    for p in workers:
        p.start()
    for p in workers:
        p.join()
    took = time.perf_counter() - start
    with SqliteUsageStore(shared) as store:
        stored = store.count()
    expected = 4 * per_worker
    return [
        Row(
            f"usage stats, {total_rows:,} rows, all providers",
            ms(stats_time),
            "-",
            None,
            "<= 100 ms",
            stats_time <= 0.1,
        ),
        Row(
            "usage inserts, 4 processes at once",
            f"{stored:,} of {expected:,} rows kept, {expected / took:,.0f} rows/s (one transaction per row)",
            "-",
            None,
            "none lost",
            stored == expected,
        ),
    ]


def refresh_fan_out(work: Path, delay: float = 0.3) -> list[Row]:
    from freegin_gitops.adapters.catalog_dir import read_catalog_dir
    from freegin_gitops.adapters.usage_db import SqliteUsageStore
    from freegin_gitops.services.refresh.plan import (
        RefreshContext,
        RefreshRequest,
        compiled_for,
        plan_refresh,
    )
    from freegin_gitops.services.routing.router import Router
    from tests.support.catalogs import LoopbackProvider, write_loopback_catalog
    from tests.support.fake_openai import FakeOpenAI, Reply

    answer = (
        '[{"workload": "chat", "recommendations": [{"model": "new-chat", "reason": "newer", '
        '"cost": "free", "speed": "fast"}]}]'
    )
    with FakeOpenAI() as server:
        names = [f"p{i}" for i in range(8)]
        root = write_loopback_catalog(
            work / "refresh",
            [LoopbackProvider(n, server.url(n), {f"{n}-m": ["chat", "code"]}) for n in names],
            git_init=False,
        )
        for n in names:
            server.script(
                n,
                Reply(200, Reply.answer(answer).body, delay_s=delay),
                models=Reply(200, {"data": [{"id": f"{n}-m"}, {"id": "new-chat"}]}, delay_s=delay),
            )
        files = read_catalog_dir(root)
        network, total = [], []
        for _ in range(5):
            server.requests.clear()
            with SqliteUsageStore(work / "refresh-usage.db") as store:
                router = Router(compiled_for(files), environ={}, usage=store)
                ctx = RefreshContext(router, {}, dt.datetime(2026, 11, 25, tzinfo=dt.UTC))
                start = time.perf_counter()
                plan = plan_refresh(files, "main", RefreshRequest(), ctx)
                total.append(time.perf_counter() - start)
                first = min(r.received for r in server.requests)
                network.append(max(r.answered or r.received for r in server.requests) - first)
                router.close()
        assert len(plan.report.changes) == 8, plan.failures
    return [
        ratio_row(  # each provider's list comes before its prompt (the prompt carries it)
            "refresh, 8 providers x (300 ms list + 300 ms answer): network wait",
            statistics.median(network),
            2 * delay,
            "one list + one answer",
            1.3,
        ),
        Row(
            "  ... whole plan (load, ask, verify, edit, validate)",
            ms(statistics.median(total)),
            "-",
            None,
            "-",
            None,
        ),
    ]


def print_table(rows: Sequence[Row]) -> None:
    headers = ("figure", "measured", "baseline", "ratio", "target", "ok")
    cells = [
        (
            r.name,
            r.measured,
            r.baseline,
            f"{r.ratio:.2f}x" if r.ratio is not None else "-",
            r.target,
            "yes" if r.ok else ("NO" if r.ok is False else "-"),
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for c in cells:
        print("| " + " | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and usage rows")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions of each process timing")
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated steps: startup,validate,selection,usage,budget,refresh,scale",
    )
    args = parser.parse_args(argv)
    repeat = args.repeat or (9 if args.quick else 25)
    rows_total = 200_000 if args.quick else 1_000_000
    work = Path(tempfile.mkdtemp(prefix="freegin-bench-"))
    env = {
        **os.environ,
        "FREEGIN_CACHE_DIR": str(work / "cache"),
        "FREEGIN_DB": str(work / "cli-usage.db"),
        "HOME": str(work / "home"),
        "PYTHONPATH": "",
    }
    for name in list(env):
        if name.endswith(("_API_KEY", "_TOKEN")):
            del env[name]
    import compileall

    import freegin_gitops

    compileall.compile_dir(str(Path(freegin_gitops.__file__).parent), quiet=1)
    try:
        starter = work / "starter"
        (starter / "catalog").parent.mkdir(parents=True)
        shutil.copytree(ROOT / "catalog", starter / "catalog")
        big = work / "models-dev"
        stats = write_models_dev_catalog(big)
        print(f"machine: {machine()}")
        print(
            f"catalogs: starter ({len(list((starter / 'catalog').rglob('*.yaml')))} files), "
            f"models.dev ({stats.providers} providers, {stats.models:,} models), synthetic (20,000 models)"
        )
        print(f"started {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; process timings: median of {repeat}\n")
        steps: list[tuple[str, Callable[[], list[Row]]]] = [
            ("startup", lambda: start_up(work, env, starter, big, repeat)),
            ("validate", lambda: cold_validate(work, env, big, repeat)),
            ("validate", lambda: [one_file_changed(big)]),
            ("scale", lambda: scale(work, env, starter, repeat)),
            ("selection", lambda: selection(work)),
            ("usage", lambda: usage(work, rows_total)),
            ("budget", lambda: budget_counts(work, rows_total)),
            ("refresh", lambda: refresh_fan_out(work)),
        ]
        wanted = set(args.only.split(",")) if args.only else {name for name, _ in steps}
        rows: list[Row] = []
        for name, step in steps:
            if name in wanted:
                rows += step()
        print_table(rows)
        failed = [r.name for r in rows if r.ok is False]
        print(
            f"\n{len(rows) - len(failed)} of {len(rows)} figures within target"
            + (f"; over: {', '.join(failed)}" if failed else "")
        )
        return 1 if failed else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
