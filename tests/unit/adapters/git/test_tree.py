"""Reading files at a commit without a checkout: a catalog under a prefix, one kept file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from freegin_gitops.adapters.git.tree import read_catalog_at, read_file_at
from freegin_gitops.errors import GitRefused
from tests.helpers import git


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "infra/ai/catalog").mkdir(parents=True)
    (root / "infra/ai/catalog/workloads.yaml").write_text("workloads: {}\n")
    (root / "compiled").mkdir()
    (root / "compiled/catalog.json").write_text("{}\n")
    os.symlink("/etc/passwd", root / "compiled/link.json")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "x")
    return root


def test_a_catalog_under_a_prefix_is_keyed_from_its_folder(repo: Path) -> None:
    _commit, files = read_catalog_at(repo, "main", "infra/ai/")
    assert files == {"catalog/workloads.yaml": b"workloads: {}\n"}


def test_without_the_prefix_there_is_no_catalog(repo: Path) -> None:
    with pytest.raises(GitRefused, match="has no catalog/ folder"):
        read_catalog_at(repo, "main")


def test_read_file_at(repo: Path) -> None:
    commit = git(repo, "rev-parse", "main").strip()
    found = [read_file_at(repo, commit, p) for p in ("compiled/catalog.json", "compiled/none.json")]
    assert found == [b"{}\n", None]


def test_a_link_or_a_folder_is_not_a_kept_file(repo: Path) -> None:
    commit = git(repo, "rev-parse", "main").strip()
    assert [read_file_at(repo, commit, p) for p in ("compiled/link.json", "compiled")] == [None, None]


def test_an_oversized_kept_file_is_refused_unread(repo: Path) -> None:
    commit = git(repo, "rev-parse", "main").strip()
    with pytest.raises(GitRefused, match=r"compiled/catalog\.json is 3 bytes at .* over the 2"):
        read_file_at(repo, commit, "compiled/catalog.json", max_bytes=2)
