"""Atomic writes and the edit lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from freegin_gitops.adapters.files import atomic_write, exclusive_lock
from freegin_gitops.errors import FileError, FreeginError


def test_atomic_write_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path = tmp_path / "here"
    tmp_path.mkdir()
    target = tmp_path / "f.yaml"
    target.write_bytes(b"old")
    target.chmod(0o600)
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["f.yaml"]


def test_a_crash_before_the_rename_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = tmp_path / "here"
    tmp_path.mkdir()
    target = tmp_path / "f.yaml"
    target.write_bytes(b"old")

    def crash(self: Path, other: Path) -> None:
        raise OSError(5, "simulated crash")

    monkeypatch.setattr(Path, "replace", crash)
    with pytest.raises(FileError, match="cannot be written: simulated crash"):
        atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.yaml"]


@pytest.mark.parametrize("where", ["under-a-file", "over-a-folder"])
def test_a_place_that_cannot_be_written_is_one_clear_error(tmp_path: Path, where: str) -> None:
    if where == "over-a-folder":
        target = tmp_path / "f.json"
        target.mkdir()
    else:
        (tmp_path / "file").write_text("")
        target = tmp_path / "file" / "f.json"
    with pytest.raises(FileError, match=r"f\.json cannot be written"):
        atomic_write(target, b"{}")


def test_the_lock_is_exclusive(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    order: list[str] = []

    def second() -> None:
        with exclusive_lock(lock):
            order.append("second")

    with exclusive_lock(lock):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(10)
    assert order == ["first", "second"]


def test_a_lock_held_too_long_is_one_clear_error(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with (
        exclusive_lock(lock),
        pytest.raises(FreeginError, match="holds the lock"),
        exclusive_lock(lock, timeout_s=0.2),
    ):
        pass


def test_a_lock_that_cannot_be_made_is_a_file_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with (
        pytest.raises(FileError, match=r"the lock .*x\.lock cannot be made"),
        exclusive_lock(tmp_path / "file" / "x.lock"),
    ):
        pass


def test_create_new_writes_a_new_file(isolated: Path) -> None:
    from freegin_gitops.adapters.files import create_new

    create_new(isolated / "new.yaml", b"x: 1\n")
    assert [(p.name, p.read_bytes()) for p in isolated.iterdir()] == [("new.yaml", b"x: 1\n")]


@pytest.mark.parametrize("kind", ["file", "symlink", "dangling symlink"])
def test_create_new_never_replaces_what_is_there(isolated: Path, kind: str) -> None:
    from freegin_gitops.adapters.files import create_new
    from freegin_gitops.errors import AlreadyExists

    target = isolated / "taken.yaml"
    other = isolated / "other.txt"
    other.write_text("theirs\n")
    if kind == "file":
        target.write_text("theirs\n")
    else:
        if kind == "dangling symlink":
            other.unlink()
        target.symlink_to(other)
    with pytest.raises(AlreadyExists, match=r"taken\.yaml already exists") as raised:
        create_new(target, b"mine\n")
    assert raised.value.path == target
    assert sorted(p.name for p in isolated.iterdir()) == sorted(
        ["taken.yaml", *(["other.txt"] if kind != "dangling symlink" else [])]
    )
    if kind == "file":
        assert target.read_text() == "theirs\n"
