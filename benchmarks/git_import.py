"""What running git costs a command: the import of GitPython (which the git adapter used until
#12) against the import of the subprocess-based adapter, each as a ratio to a bare interpreter.

    .venv/bin/python benchmarks/git_import.py [--gitpython-python PATH] [--repeat N]

``--gitpython-python`` names an interpreter with GitPython installed (it is no longer a
dependency: ``python3 -m venv /tmp/gp && /tmp/gp/bin/pip install GitPython``). Process start-up
times are medians of interleaved runs, so that the other processes of a shared machine slow every
variant alike.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

ADAPTER = (
    "import freegin_gitops.adapters.git.refs, freegin_gitops.adapters.git.commit, "
    "freegin_gitops.adapters.git.run as r; import subprocess, signal"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gitpython-python", help="an interpreter that has GitPython installed")
    parser.add_argument("--repeat", type=int, default=31)
    args = parser.parse_args()
    variants = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "git adapter (subprocess)": [sys.executable, "-c", ADAPTER],
    }
    if args.gitpython_python:
        variants["python -c pass (GitPython's interpreter)"] = [args.gitpython_python, "-c", "pass"]
        variants["import git (GitPython)"] = [args.gitpython_python, "-c", "import git"]
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.repeat):
        for name, command in variants.items():
            started = time.perf_counter()
            subprocess.run(command, check=True)
            times[name].append((time.perf_counter() - started) * 1000)
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, median in medians.items():
        base = medians[
            "python -c pass (GitPython's interpreter)" if "GitPython" in name else "python -c pass"
        ]
        print(f"{name:45s} {median:7.1f} ms  {median / base:5.2f}x  (+{median - base:.1f} ms)")


if __name__ == "__main__":
    main()
