"""The catalog folder read as files a pull request may have crafted (real files, links, FIFOs,
sockets and devices in a temporary folder)."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from freegin_gitops.adapters.catalog_dir import (
    FileRefused,
    catalog_paths,
    read_catalog_dir,
    read_regular,
    scan_catalog_dir,
)
from freegin_gitops.errors import CatalogInvalid


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "catalog/providers").mkdir(parents=True)
    (tmp_path / "catalog/workloads.yaml").write_text("workloads: {}\n")
    (tmp_path / "catalog/providers/groq.yaml").write_text("provider: groq\n")
    return tmp_path


def refusals(root: Path, **kwargs: int) -> dict[str, str]:
    return {r.path: r.message for r in scan_catalog_dir(root, **kwargs).refused}


def test_regular_files_are_read(root: Path):
    scan = scan_catalog_dir(root)
    assert scan.files == {
        "catalog/providers/groq.yaml": b"provider: groq\n",
        "catalog/workloads.yaml": b"workloads: {}\n",
    }
    assert scan.refused == ()
    assert read_catalog_dir(root) == scan.files


def test_hidden_and_non_yaml_entries_are_left_alone(root: Path):
    (root / "catalog/.journal.yaml").write_text("x")
    (root / "catalog/README.md").write_text("x")
    os.symlink("/etc/passwd", root / "catalog/README.link")
    assert sorted(scan_catalog_dir(root).files) == ["catalog/providers/groq.yaml", "catalog/workloads.yaml"]
    assert refusals(root) == {}


def test_a_character_device_behind_a_link_inside_the_catalog(root: Path):
    os.symlink("/dev/null", root / "catalog/providers/null.yaml")
    assert "outside the catalog folder" in refusals(root)["catalog/providers/null.yaml"]


def test_a_socket_is_refused(root: Path):
    path = root / "catalog/providers/sock.yaml"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        assert refusals(root)["catalog/providers/sock.yaml"] == (
            "is a socket, not a regular file; it was not read"
        )
    finally:
        server.close()


def test_a_link_loop_is_a_link_that_points_nowhere(root: Path):
    os.symlink("b.yaml", root / "catalog/providers/a.yaml")
    os.symlink("a.yaml", root / "catalog/providers/b.yaml")
    found = refusals(root)
    assert found["catalog/providers/a.yaml"] == "is a symbolic link that points nowhere; nothing was read"
    assert set(found) == {"catalog/providers/a.yaml", "catalog/providers/b.yaml"}


def test_the_catalog_folder_may_be_a_link_within_the_repository(root: Path):
    (root / "catalog").rename(root / "real")
    os.symlink("real", root / "catalog")
    assert sorted(scan_catalog_dir(root).files) == ["catalog/providers/groq.yaml", "catalog/workloads.yaml"]


@pytest.mark.parametrize("target", ["outside", ".git/catalog"])
def test_the_catalog_folder_linked_out_of_the_repository_is_refused_whole(root: Path, target: str):
    destination = root.parent / "elsewhere" if target == "outside" else root / target
    destination.parent.mkdir(parents=True, exist_ok=True)
    (root / "catalog").rename(destination)
    os.symlink(destination, root / "catalog")
    scan = scan_catalog_dir(root)
    assert scan.files == {}
    assert [(r.path, r.folder) for r in scan.refused] == [("catalog", True)]
    assert scan.broken() == ["catalog/"]


def test_deep_nesting_stops(root: Path):
    deep = root / "catalog" / "/".join(["d"] * 12)
    deep.mkdir(parents=True)
    (deep / "x.yaml").write_text("x")
    found = refusals(root)
    assert list(found.values()) == ["is nested more than 8 folders deep; it was not read"]


def test_the_size_cap_is_exact(root: Path):
    path = root / "catalog/providers/groq.yaml"
    assert read_regular(path, 15) == b"provider: groq\n"
    with pytest.raises(FileRefused, match="is 15 bytes, over the 14 bytes"):
        read_regular(path, 14)


def test_read_regular_does_not_follow_links_unless_asked(root: Path):
    link = root / "catalog/providers/alias.yaml"
    os.symlink("groq.yaml", link)
    with pytest.raises(FileRefused, match="is a symbolic link; it was not followed"):
        read_regular(link, 100)
    assert read_regular(link, 100, follow=True) == b"provider: groq\n"


def test_a_fifo_is_refused_at_once(root: Path):
    os.mkfifo(root / "catalog/providers/pipe.yaml")
    with pytest.raises(FileRefused, match=r"is a FIFO \(named pipe\), not a regular file"):
        read_regular(root / "catalog/providers/pipe.yaml", 100)


def test_refused_files_are_not_listed_and_make_read_catalog_dir_fail(root: Path):
    os.symlink("/etc/passwd", root / "catalog/providers/passwd.yaml")
    assert catalog_paths(root) == ["catalog/providers/groq.yaml", "catalog/workloads.yaml"]
    with pytest.raises(CatalogInvalid) as caught:
        read_catalog_dir(root)
    assert str(caught.value).startswith("catalog/providers/passwd.yaml: is a symbolic link to a file outside")
