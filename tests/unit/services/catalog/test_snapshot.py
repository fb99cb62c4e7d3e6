"""The catalog's content hash from what lstat says, when (and only when) that is safe."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from freegin_gitops.adapters import cache_file
from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.core.content import content_sha256
from freegin_gitops.services.catalog import snapshot
from tests.helpers import STARTER_CATALOG


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    shutil.copytree(STARTER_CATALOG, tmp_path / "repo" / "catalog")
    return tmp_path / "repo"


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(snapshot, "RACY_NS", 0)


def test_an_unchanged_catalog_is_not_read_again(repo: Path, quiet: None) -> None:
    first = snapshot.take(repo)
    assert first.files == read_catalog_dir(repo)
    second = snapshot.take(repo)
    assert (second.files, second.content_sha256) == (None, first.content_sha256)
    assert second.file_sha256 == first.file_sha256
    assert snapshot.read_files(repo, second) == first.files
    assert first.content_sha256 == content_sha256(read_catalog_dir(repo))


def test_files_changed_within_the_racy_window_are_read_every_time(repo: Path) -> None:
    snapshot.take(repo)
    assert snapshot.take(repo).files is not None  # the copy is younger than two seconds


@pytest.mark.parametrize(
    "change",
    [
        lambda p: p.write_bytes(p.read_bytes().replace(b"groq", b"grok", 1)),
        lambda p: p.chmod(0o600),
        lambda p: os.replace(p, p.with_name("moved.yaml")),
        lambda p: p.with_name("new.yaml").write_text("x: 1\n"),
        lambda p: p.unlink(),
    ],
)
def test_any_change_is_noticed(repo: Path, quiet: None, change) -> None:  # type: ignore[no-untyped-def]
    groq = repo / "catalog/providers/groq.yaml"
    before = snapshot.take(repo)
    stat = groq.stat()
    change(groq)
    if groq.exists():
        os.utime(groq, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # the modification time told nothing
    after = snapshot.take(repo)
    assert after.files is not None
    assert after.files == read_catalog_dir(repo)
    assert (after.content_sha256 == before.content_sha256) == (after.files == before.files)


def test_a_link_in_the_catalog_means_reading_every_time(repo: Path, quiet: None) -> None:
    groq = repo / "catalog/providers/groq.yaml"
    target = groq.with_name(".groq-real.yaml")
    groq.rename(target)
    groq.symlink_to(target.name)
    first = snapshot.take(repo)
    assert (first.refused, "catalog/providers/groq.yaml" in (first.files or {})) == ((), True)
    assert snapshot.take(repo).files is not None


def test_a_refused_file_means_reading_every_time(repo: Path, quiet: None) -> None:
    (repo / "catalog/providers/zz.yaml").symlink_to("/etc/hostname")
    first = snapshot.take(repo)
    assert [r.path for r in first.refused] == ["catalog/providers/zz.yaml"]
    assert snapshot.take(repo).files is not None


@pytest.mark.parametrize("damage", [b"garbage", b""])
def test_a_damaged_record_is_a_miss(repo: Path, quiet: None, damage: bytes) -> None:
    snapshot.take(repo)
    (record,) = (Path(os.environ["FREEGIN_CACHE_DIR"]) / "state").iterdir()
    record.write_bytes(damage)
    assert snapshot.take(repo).files is not None
    cache_file.write(record, b'{"format": 2}\n{}')
    assert snapshot.take(repo).files is not None
