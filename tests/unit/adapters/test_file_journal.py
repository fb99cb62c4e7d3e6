"""Multi-file writes through a journal: staged beside their targets, finished or undone, and a
file someone changed meanwhile is never touched."""

from __future__ import annotations

from pathlib import Path

import pytest

from freegin_gitops.adapters import file_journal
from freegin_gitops.errors import FileError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "a").mkdir()
    (tmp_path / "a/one.yaml").write_text("one old\n")
    (tmp_path / "a/two.yaml").write_text("two old\n")
    return tmp_path


CHANGES = {"a/one.yaml": b"one new\n", "a/two.yaml": b"two new\n", "a/three.yaml": b"three new\n"}


def files(root: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted((root / "a").iterdir())}


def test_begin_touches_no_target_and_writes_the_journal(root: Path, tmp_path: Path):
    file_journal.begin(tmp_path / "j.json", root, CHANGES, "adopt-model", {"k": 1})
    assert (root / "a/one.yaml").read_text() == "one old\n"
    assert not (root / "a/three.yaml").exists()
    loaded = file_journal.load(tmp_path / "j.json")
    assert loaded is not None and loaded.paths() == list(CHANGES) and loaded.extra == {"k": 1}
    assert file_journal.has_strays(root, ["a"])


def test_roll_forward_after_a_partial_rename(root: Path, tmp_path: Path):
    journal = file_journal.begin(tmp_path / "j.json", root, CHANGES, "adopt-model", {})
    first = journal.entries[0]
    journal.beside(first, first.new).replace(journal.target(first))  # killed after one rename
    loaded = file_journal.load(tmp_path / "j.json")
    assert loaded is not None
    assert file_journal.roll_forward(loaded) == []
    assert files(root) == {"one.yaml": "one new\n", "three.yaml": "three new\n", "two.yaml": "two new\n"}
    assert not (tmp_path / "j.json").exists()
    file_journal.roll_forward(loaded)  # again: nothing changes
    assert files(root)["two.yaml"] == "two new\n"


def test_roll_back_restores_old_files_and_removes_new_ones(root: Path, tmp_path: Path):
    journal = file_journal.begin(tmp_path / "j.json", root, CHANGES, "adopt-model", {})
    file_journal.put_in_place(journal)
    assert file_journal.roll_back(journal) == []
    assert files(root) == {"one.yaml": "one old\n", "two.yaml": "two old\n"}
    assert not file_journal.has_strays(root, ["a"])


def test_a_file_changed_since_is_left_alone(root: Path, tmp_path: Path):
    journal = file_journal.begin(tmp_path / "j.json", root, CHANGES, "adopt-model", {})
    file_journal.put_in_place(journal)
    (root / "a/two.yaml").write_text("a person's edit\n")
    assert file_journal.roll_back(journal) == ["a/two.yaml"]
    assert files(root) == {"one.yaml": "one old\n", "two.yaml": "a person's edit\n"}


def test_a_failed_begin_leaves_nothing(root: Path, tmp_path: Path):
    (tmp_path / "j.json").mkdir()  # the journal cannot be written there
    with pytest.raises(FileError):
        file_journal.begin(tmp_path / "j.json", root, CHANGES, "adopt-model", {})
    assert files(root) == {"one.yaml": "one old\n", "two.yaml": "two old\n"}


def test_strays_are_ours_only(root: Path):
    ours = [".one.yaml.abcd1234.tmp", ".one.yaml.freegin-0123.new", ".one.yaml.freegin-0123.old"]
    theirs = [".one.yaml.swp", ".notes", "one.yaml.tmp", ".one.yaml.new"]
    for name in ours + theirs:
        (root / "a" / name).write_text("x")
    assert sorted(file_journal.clean_strays(root, ["a"])) == sorted(f"a/{n}" for n in ours)
    assert all((root / "a" / n).exists() for n in theirs)


def test_a_damaged_journal_is_one_sentence(tmp_path: Path):
    (tmp_path / "j.json").write_text("{not json")
    with pytest.raises(FileError, match=r"the edit journal .* cannot be read"):
        file_journal.load(tmp_path / "j.json")
