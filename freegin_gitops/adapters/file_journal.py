"""Writing several files all-or-nothing, so that a command killed half-way can be finished or
undone by the next one.

An edit that changes a provider file and its suggestions file must never leave one new and the
other old (the catalog would be invalid). :func:`begin` writes every new file in full beside its
target (``.NAME.freegin-ID.new``, fsynced), keeps the old one under a second name by a hard link
(``.NAME.freegin-ID.old``, no copy), and only then writes the journal, atomically, naming them all
with the SHA-256 of the old and new contents. After that the renames into place start. Whatever
moment the process dies:

* before the journal exists, nothing was touched but the new files beside the targets, which
  :func:`clean_strays` removes;
* after, :func:`roll_forward` finishes the renames, or :func:`roll_back` puts the old files back,
  both idempotent (a recovery that is itself killed is done again), and each file is touched only
  while it still holds what the journal says it should, so a person's later change is never lost.

Temporary files of plain atomic writes (``.NAME.<random>.tmp``) that a kill left behind are strays
too. Callers hold the edit lock while they use any of this.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from freegin_gitops.adapters.files import atomic_write
from freegin_gitops.errors import FileError

_MARK = ".freegin-"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str | None:
    try:
        return _sha(path.read_bytes())
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FileError(f"{path} cannot be read: {exc.strerror}") from exc


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass(frozen=True, slots=True)
class Entry:
    path: str  # relative to the root
    new: str  # name of the new file beside the target
    new_sha: str
    old: str | None  # name of the old file's second link, None for a file that did not exist
    old_sha: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "new": self.new,
            "new_sha": self.new_sha,
            "old": self.old,
            "old_sha": self.old_sha,
        }


@dataclass(frozen=True, slots=True)
class Journal:
    """What one multi-file write is doing; ``extra`` is the caller's (a commit to make, ...)."""

    file: Path
    root: Path
    id: str
    command: str
    entries: tuple[Entry, ...]
    extra: Mapping[str, Any]

    def _save(self) -> None:
        document = {
            "version": 1,
            "id": self.id,
            "command": self.command,
            "root": str(self.root),
            "entries": [e.as_json() for e in self.entries],
            "extra": dict(self.extra),
        }
        atomic_write(self.file, json.dumps(document, indent=2).encode())

    def target(self, entry: Entry) -> Path:
        return self.root / entry.path

    def beside(self, entry: Entry, name: str) -> Path:
        return self.target(entry).parent / name

    def paths(self) -> list[str]:
        return [e.path for e in self.entries]


def begin(
    journal_file: Path, root: Path, changes: Mapping[str, bytes], command: str, extra: Mapping[str, Any]
) -> Journal:
    """Stage ``changes`` (path relative to ``root`` -> new bytes) beside their targets and write
    the journal; no target is touched yet (:func:`roll_forward` puts them in place)."""
    txid = secrets.token_hex(6)
    entries: list[Entry] = []
    try:
        for rel, data in changes.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            new_name = f".{target.name}{_MARK}{txid}.new"
            new_path = target.parent / new_name
            mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
            fd = os.open(new_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            old_name: str | None = None
            old_sha: str | None = None
            if target.exists():
                old_name = f".{target.name}{_MARK}{txid}.old"
                os.link(target, target.parent / old_name)
                old_sha = _file_sha(target)
            _fsync_dir(target.parent)
            entries.append(Entry(rel, new_name, _sha(data), old_name, old_sha))
        journal = Journal(journal_file, root, txid, command, tuple(entries), dict(extra))
        journal._save()
    except (OSError, FileError) as exc:
        _discard(root, changes, txid)
        if isinstance(exc, FileError):
            raise
        raise FileError(f"{root / rel} cannot be written: {exc.strerror}") from exc
    return journal


def _discard(root: Path, changes: Mapping[str, bytes], txid: str) -> None:
    """Remove what a :func:`begin` that failed had staged (nothing was in place yet)."""
    for rel in changes:
        target = root / rel
        for suffix in ("new", "old"):
            (target.parent / f".{target.name}{_MARK}{txid}.{suffix}").unlink(missing_ok=True)


def load(journal_file: Path) -> Journal | None:
    """The journal at ``journal_file``, or None; :class:`FileError` if it cannot be understood."""
    try:
        document = json.loads(journal_file.read_bytes())
        entries = tuple(
            Entry(e["path"], e["new"], e["new_sha"], e.get("old"), e.get("old_sha"))
            for e in document["entries"]
        )
        return Journal(
            journal_file,
            Path(document["root"]),
            document["id"],
            document["command"],
            entries,
            document["extra"],
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise FileError(
            f"the edit journal {journal_file} cannot be read ({exc}); check the catalog with "
            "freegin-ai validate and git status, then delete it"
        ) from exc


def roll_forward(journal: Journal) -> list[str]:
    """Put every new file in place (those not there yet) and end the write; the paths left alone
    because someone changed them since."""
    left = put_in_place(journal)
    _finish(journal)
    return left


def put_in_place(journal: Journal) -> list[str]:
    """Rename the new files over their targets, keeping the journal (a commit may follow); the
    paths left alone because someone changed them since."""
    left: list[str] = []
    for entry in journal.entries:
        target, new = journal.target(entry), journal.beside(entry, entry.new)
        current = _file_sha(target)
        if new.exists() and current == entry.old_sha:
            new.replace(target)
            _fsync_dir(target.parent)
        elif current != entry.new_sha:
            left.append(entry.path)
    return left


def roll_back(journal: Journal) -> list[str]:
    """Put every old file back (delete those that did not exist); the paths left alone because
    someone changed them since."""
    left: list[str] = []
    for entry in journal.entries:
        target = journal.target(entry)
        current = _file_sha(target)
        if current == entry.new_sha:
            if entry.old is not None:
                journal.beside(entry, entry.old).replace(target)
            else:
                target.unlink()
            _fsync_dir(target.parent)
        elif current != entry.old_sha:
            left.append(entry.path)
    _finish(journal)
    return left


def _finish(journal: Journal) -> None:
    """Drop the files beside the targets, then the journal: the write is over."""
    for entry in journal.entries:
        for name in (entry.new, entry.old):
            if name is not None:
                journal.beside(entry, name).unlink(missing_ok=True)
    journal.file.unlink(missing_ok=True)


def done(journal: Journal) -> None:
    """The write (and whatever the caller did after it) is complete."""
    _finish(journal)


def is_stray(name: str) -> bool:
    """A file a killed write left: ours (``.X.freegin-ID.new|old``) or an atomic write's
    (``.X.<random>.tmp``)."""
    if not name.startswith("."):
        return False
    return (_MARK in name and name.endswith((".new", ".old"))) or name.endswith(".tmp")


def clean_strays(root: Path, folders: Iterable[str]) -> list[str]:
    """Remove the files killed writes left in ``folders`` (relative to ``root``); their paths."""
    removed: list[str] = []
    for folder in sorted(set(folders)):
        try:
            paths = sorted((root / folder).iterdir())
        except OSError:
            continue
        for path in paths:
            name = path.name
            if is_stray(name) and path.is_file() and not path.is_symlink():
                path.unlink(missing_ok=True)
                removed.append(f"{folder}/{name}")
    return removed


def has_strays(root: Path, folders: Iterable[str]) -> bool:
    """Whether any of ``folders`` holds a file a killed write left (a quick look, no lock)."""
    for folder in folders:
        try:
            with os.scandir(root / folder) as entries:
                if any(is_stray(e.name) for e in entries):
                    return True
        except OSError:
            continue
    return False
