"""``route`` and ``--help`` must start fast: they import no HTTP, git, YAML, schema or rendering
library (start-up time itself is measured in benchmarks/, not asserted here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {
    "httpx",
    "git",
    "gitdb",
    "ruamel",
    "yaml",
    "jsonschema",
    "jsonschema_rs",
    "rich",
    "pydantic",
    "platformdirs",
    "psycopg",  # only for a postgresql:// --db
    "subprocess",  # git is run only by commands that need it
}

DRIVER = """
import atexit, json, sys
out, args = sys.argv[1], sys.argv[2:]
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv = ["freegin-ai", *args]
from freegin_gitops.cli.main import main
main()
"""


def imported(tmp_path: Path, *args: str) -> set[str]:
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(out), *args], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return {name.split(".")[0] for name in json.loads(out.read_text())}


@pytest.mark.parametrize(
    "args",
    [
        ("route", "--workload", "chat", "--json"),
        ("route", "--workload", "code"),
        ("--help",),
        ("--version",),
    ],
)
def test_fast_commands_import_no_heavy_library(
    catalog_repo: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    imported(tmp_path, "--repo", str(catalog_repo), "route")  # first run compiles and caches
    assert imported(tmp_path, "--repo", str(catalog_repo), *args) & HEAVY == set()


def test_route_reads_a_current_compiled_file_without_parsing_yaml(catalog_repo: Path, tmp_path: Path) -> None:
    compiled = catalog_repo / "compiled" / "catalog.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "freegin_gitops",
            "--repo",
            str(catalog_repo),
            "compile",
            "--output",
            str(compiled),
        ],
        check=True,
        capture_output=True,
    )
    assert "yaml" not in imported(tmp_path, "--repo", str(catalog_repo), "route", "--json")
