"""What the benchmark scripts share: the table row, interleaved process timings, peak memory."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

PYTHON = sys.executable
FREEGIN = [PYTHON, "-m", "freegin_gitops"]


@dataclass
class Row:
    name: str
    measured: str
    baseline: str
    ratio: float | None
    target: str
    ok: bool | None


def run_times(commands: dict[str, list[str]], env: dict[str, str], repeat: int) -> dict[str, float]:
    """Median wall time (s) of each command, repetitions interleaved so load hits all alike.
    Output goes to /dev/null: what is timed is the command, not a reader of its output."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for name, argv in commands.items():  # warm-up: caches, page cache
        done = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{name} failed: {done.stderr.decode()[-500:]}")
    for _ in range(repeat):
        for name, argv in commands.items():
            start = time.perf_counter()
            done = subprocess.run(
                argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
            )
            times[name].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed: {done.stderr.decode()[-500:]}")
    return {name: statistics.median(values) for name, values in times.items()}


# Runs one command as the only child of a fresh process, so that RUSAGE_CHILDREN's ru_maxrss is
# that command's peak resident memory (Linux reports KiB), and counts the bytes it wrote.
_PEAK = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
took = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
print(json.dumps({"code": done.returncode, "seconds": took, "peak": peak, "output": len(done.stdout)}))
"""


@dataclass(frozen=True)
class Peak:
    seconds: float
    peak_bytes: int
    output_bytes: int


def peak_memory(argv: list[str], env: dict[str, str]) -> Peak:
    """Time, peak resident memory and output size of one fresh run of ``argv``."""
    done = subprocess.run([PYTHON, "-c", _PEAK, *argv], env=env, capture_output=True, text=True, check=True)
    found = json.loads(done.stdout)
    if found["code"] != 0:
        raise SystemExit(f"{argv} failed with exit status {found['code']}")
    return Peak(found["seconds"], found["peak"], found["output"])


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


def mib(size: int) -> str:
    return f"{size / 2**20:,.1f} MiB"


def ratio_row(name: str, value: float, base: float, base_name: str, limit: float) -> Row:
    r = value / base
    return Row(name, ms(value), f"{base_name} {ms(base)}", r, f"<= {limit:g}x", r <= limit)
