"""The PostgreSQL tests skip, saying why, when no server is configured, and fail instead under
``--require-postgres`` (as ``.ci/run`` runs the suite), so CI cannot pass by skipping them."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers import ROOT

ONE_TEST = "tests/unit/adapters/test_usage_pg.py::test_opening_again_changes_nothing"


def run_pytest(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FREEGIN_TEST_POSTGRES_URL"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", ONE_TEST, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_without_a_server_the_tests_skip_and_say_why():
    done = run_pytest()
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout
    assert "FREEGIN_TEST_POSTGRES_URL is not set" in done.stdout


def test_when_required_they_fail_instead():
    done = run_pytest("--require-postgres")
    assert done.returncode == 1, done.stdout
    assert "--require-postgres: FREEGIN_TEST_POSTGRES_URL is not set" in done.stdout
