"""Build hook: record in the wheel the git commit it was built from, so that ``freegin-ai init``
can pin the workflows and the pre-commit hook it writes to that commit
(``freegin_gitops/_bundled/build.json``; see ``freegin_gitops/adapters/tool_source.py``).

Nothing is recorded for an editable install (the checkout is read at run time) or when the
source is not a git checkout (an sdist).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

TARGET = "freegin_gitops/_bundled/build.json"


def _git(root: str, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", root, *args], capture_output=True, text=True, check=False, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


class CustomBuildHook(BuildHookInterface):
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        self._folder: str | None = None
        if self.target_name != "wheel" or version == "editable":
            return
        if not (Path(self.root) / ".git").exists():
            return
        commit = _git(self.root, "rev-parse", "--verify", "HEAD^{commit}")
        status = _git(self.root, "status", "--porcelain", "--untracked-files=no")
        if commit is None or status is None:
            return
        self._folder = tempfile.mkdtemp(prefix="freegin-build-")
        path = Path(self._folder) / "build.json"
        path.write_text(json.dumps({"commit": commit, "dirty": bool(status)}) + "\n", encoding="utf-8")
        build_data["force_include"][str(path)] = TARGET

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if getattr(self, "_folder", None):
            shutil.rmtree(str(self._folder), ignore_errors=True)
