"""Figures P5-P8: the paths a router or a reviewer runs again and again, on a 50,000-model
catalog, against the same command on the starter catalog (or ``python -c pass``, or the parse
floor) measured in the same run; and a cold ``validate`` of one 25 MB and one 50 MB provider
file (time per byte, peak memory).

The 50,000-model catalog is models.dev ten times over (1,470 providers, 52,760 models,
12 MB), generated here and committed to a throw-away git repository like a real catalog; the
big provider files repeat models.dev's models with numbered ids. Nothing is kept afterwards.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import time
from pathlib import Path

from benchmarks.catalogs import write_models_dev_catalog, write_one_big_provider
from benchmarks.timing import FREEGIN, PYTHON, Row, mib, peak_memory, ratio_row, run_times

COPIES = 10


def _git_repo(root: Path) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("add", "catalog")
    git("-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-qm", "catalog")


def build_50k(work: Path) -> tuple[Path, str]:
    dest = work / "catalog-50k"
    stats = write_models_dev_catalog(dest, copies=COPIES)
    _git_repo(dest)
    time.sleep(2.1)  # files younger than two seconds are hashed again on every run (snapshot.py)
    return dest, f"{stats.providers:,} providers, {stats.models:,} models, {mib(stats.bytes_written)}"


def _parse_floor(catalog: Path, repeat: int) -> float:
    """PyYAML's C loader (CSafeLoader) only parsing every file, in-process: what no validator of
    these files can beat by much."""
    import yaml

    texts = [p.read_text() for p in sorted((catalog / "catalog").rglob("*.yaml"))]
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        for text in texts:
            yaml.load(text, Loader=yaml.CSafeLoader)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def warm_paths(env: dict[str, str], starter: Path, big: Path, repeat: int) -> list[Row]:
    """P5, P6 (one provider), P7: warm caches, nothing changed, interleaved with references."""
    route = ["route", "--workload", "chat", "--json"]
    one = ["list-models", "--provider", "groq", "--json"]
    kept = big / "compiled" / "catalog.json"
    subprocess.run([*FREEGIN, "--repo", str(big), "compile", "--output", str(kept)], env=env, check=True)
    subprocess.run(["git", "-C", str(big), "add", "compiled"], check=True)
    who = ["-c", "user.name=b", "-c", "user.email=b@example.invalid"]
    subprocess.run(["git", "-C", str(big), *who, "commit", "-qm", "compiled"], check=True)
    time.sleep(2.1)  # the compiled file, too, must be older than the racy window to be trusted
    times = run_times(
        {
            "pass": [PYTHON, "-c", "pass"],
            "route-starter": [*FREEGIN, "--repo", str(starter), *route],
            "route-50k": [*FREEGIN, "--repo", str(big), *route],
            "list-starter": [*FREEGIN, "--repo", str(starter), *one],
            "list-50k": [*FREEGIN, "--repo", str(big), *one],
            "compile-50k": [*FREEGIN, "--repo", str(big), "compile", "--output", str(kept)],
            "compile-stdout-50k": [*FREEGIN, "--repo", str(big), "compile"],
        },
        env,
        repeat,
    )
    return [
        ratio_row(
            "P5 route --json, 52,760 models", times["route-50k"], times["route-starter"], "starter", 1.5
        ),
        ratio_row(
            "P6 list-models --provider --json, 52,760 models",
            times["list-50k"],
            times["list-starter"],
            "starter",
            2,
        ),
        ratio_row(
            "P7 compile --output, unchanged, 52,760 models",
            times["compile-50k"],
            times["pass"],
            "python -c pass",
            10,
        ),
        ratio_row(
            "  ... compile to stdout (38 MB), unchanged",
            times["compile-stdout-50k"],
            times["pass"],
            "python -c pass",
            10,
        ),
    ]


def list_everything(env: dict[str, str], big: Path, repeat: int) -> list[Row]:
    """P6 (everything): time against the parse floor, peak memory against the output's size."""
    argv = [*FREEGIN, "--repo", str(big), "list-models", "--json"]
    runs = [peak_memory(argv, env) for _ in range(max(3, repeat // 5))]
    took = statistics.median(r.seconds for r in runs)
    peak = max(r.peak_bytes for r in runs)
    output = runs[0].output_bytes
    floor = _parse_floor(big, max(3, repeat // 8))
    memory = peak / output
    return [
        ratio_row("P6 list-models --json (all), 52,760 models", took, floor, "PyYAML C loader parse", 3),
        Row(
            "  ... its peak memory",
            mib(peak),
            f"output {mib(output)}",
            memory,
            "<= 5x",
            memory <= 5,
        ),
    ]


def one_big_file(work: Path, env: dict[str, str], repeat: int) -> list[Row]:
    """P8: cold validate of one provider file of 25 MB and of 50 MB."""
    found: dict[int, tuple[float, int, int]] = {}
    sizes = (25_000_000, 50_000_000)
    catalogs = {}
    for size in sizes:
        dest = work / f"one-{size // 1_000_000}mb"
        write_one_big_provider(dest, size)
        catalogs[size] = dest
    samples: dict[int, list[tuple[float, int]]] = {size: [] for size in sizes}
    for i in range(max(1, repeat // 8)):
        for size in sizes:  # interleaved
            cold = {**env, "FREEGIN_CACHE_DIR": str(work / f"cold-{size}-{i}")}
            run = peak_memory([*FREEGIN, "--repo", str(catalogs[size]), "validate"], cold)
            samples[size].append((run.seconds, run.peak_bytes))
            shutil.rmtree(work / f"cold-{size}-{i}", ignore_errors=True)
    for size in sizes:
        file_bytes = (catalogs[size] / "catalog" / "providers" / "big.yaml").stat().st_size
        found[size] = (
            statistics.median(s for s, _ in samples[size]),
            max(p for _, p in samples[size]),
            file_bytes,
        )
    (t_small, _, b_small), (t_big, p_big, b_big) = found[sizes[0]], found[sizes[1]]
    per_byte = (t_big / b_big) / (t_small / b_small)
    memory = p_big / b_big
    return [
        Row(
            f"P8 validate cold, one {mib(b_big)} provider file",
            f"{t_big:.1f} s",
            f"{mib(b_small)}: {t_small:.1f} s",
            per_byte,
            "time per byte <= 1.25x",
            per_byte <= 1.25,
        ),
        Row("  ... its peak memory", mib(p_big), f"file {mib(b_big)}", memory, "<= 10x", memory <= 10),
    ]


def scale(work: Path, env: dict[str, str], starter: Path, repeat: int) -> list[Row]:
    big, description = build_50k(work)
    print(f"50k catalog: {description}", flush=True)
    rows = warm_paths(env, starter, big, repeat)
    rows += list_everything(env, big, repeat)
    rows += one_big_file(work, env, repeat)
    return rows
