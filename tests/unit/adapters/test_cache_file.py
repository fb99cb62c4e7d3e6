"""Cache files are whole and of their key, or they are misses."""

from __future__ import annotations

from pathlib import Path

import pytest

from freegin_gitops.adapters import cache_file


def test_a_payload_reads_back_with_its_label(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "entry"
    assert cache_file.write(path, b"payload\nwith lines", b"key 1")
    assert cache_file.read(path, b"key 1") == b"payload\nwith lines"
    assert cache_file.read(path, b"key 2") is None
    assert cache_file.read(path) is None
    assert [p.name for p in path.parent.iterdir()] == ["entry"]  # no temporary file left


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],
        lambda data: data + b"x",
        lambda data: data[:-3] + b"X" + data[-2:],
        lambda data: b"",
        lambda data: data.replace(b"freegin-cache/1", b"freegin-cache/9"),
        lambda data: data.split(b"\n", 1)[1],
    ],
)
def test_a_damaged_file_is_a_miss(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "entry"
    cache_file.write(path, b"0123456789" * 10)
    path.write_bytes(damage(path.read_bytes()))
    assert cache_file.read(path) is None


def test_a_missing_file_is_a_miss_and_an_unwritable_folder_is_no_error(tmp_path: Path) -> None:
    assert cache_file.read(tmp_path / "nothing") is None
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert cache_file.write(blocker / "entry", b"x") is False
