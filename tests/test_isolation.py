"""The autouse fixture keeps every test away from the real machine."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from freegin_gitops.services.catalog.paths import cache_dir, db_location


def test_home_and_user_folders_are_inside_the_test_folder(tmp_path: Path) -> None:
    names = ("HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME")
    assert all(Path(os.environ[name]).is_relative_to(tmp_path) for name in names)


def test_usage_database_and_cache_are_inside_the_test_folder(tmp_path: Path) -> None:
    assert Path(db_location(None)).is_relative_to(tmp_path) and cache_dir().is_relative_to(tmp_path)


def test_no_credentials_are_visible() -> None:
    assert [n for n in os.environ if n.endswith(("_API_KEY", "_TOKEN"))] == []


def test_the_working_folder_is_empty(isolated: Path) -> None:
    assert (Path.cwd(), list(isolated.iterdir())) == (isolated, [])


def test_git_reads_only_the_test_configuration() -> None:
    shown = subprocess.run(
        ["git", "config", "--show-origin", "--list"], capture_output=True, text=True, check=False
    ).stdout
    origins = {line.split("\t", 1)[0] for line in shown.splitlines()}
    assert origins == {f"file:{os.environ['GIT_CONFIG_GLOBAL']}"}
