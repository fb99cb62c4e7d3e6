"""The content hash of a working tree's catalog, without reading its files when none changed.

Every command that reads the catalog starts by hashing it: the hash keys the validation result,
the compiled catalog and the router's view. For 50,000 models that is 1,500 files and 12 MB to
read and hash on every ``route``. Instead, what ``lstat`` says of each file (inode, size,
modification and change times, to the nanosecond) is recorded next to the hash it gave; while
every file still says the same, the recorded hash is the catalog's hash.

Safe as git's index is safe: any write to a file, a rename over it, ``touch`` or ``chmod``
changes its change time (which no program can set back); a new, removed or renamed file changes
the listing. A file changed within :data:`RACY_NS` of the moment it was recorded is not trusted
(its timestamp could repeat within one tick of the file system's clock), nor is anything that
is not a regular file: those are read and hashed again every time, until they have been quiet
long enough to be recorded.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from freegin_gitops.adapters import cache_file
from freegin_gitops.adapters.catalog_dir import (
    CatalogScan,
    FileStat,
    Refusal,
    scan_catalog_dir,
    stat_catalog_dir,
)
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.core import json_text
from freegin_gitops.core.content import content_sha256
from freegin_gitops.errors import CatalogInvalid, FileError
from freegin_gitops.services.catalog.paths import cache_dir

FORMAT = 2
RACY_NS = 2_000_000_000


class Snapshot:
    """The catalog of a working tree at one moment: its content hash, each file's hash, and the
    files' bytes when they had to be read."""

    def __init__(
        self,
        content_sha256: str,
        file_sha256: dict[str, str] | None,
        files: dict[str, bytes] | None,
        record: list[bytes] | None = None,
        refused: tuple[Refusal, ...] = (),
    ) -> None:
        self.content_sha256 = content_sha256
        self.files = files
        self.refused = refused  # catalog paths the read refused (links out, FIFOs, oversized files)
        self._file_sha256 = file_sha256
        self._record = record

    @property
    def file_sha256(self) -> dict[str, str]:
        """Path -> sha256 of its bytes (from the record's second line, parsed when asked for)."""
        if self._file_sha256 is None:
            shas: Any = json_text.loads(self._record[1]) if self._record is not None else None
            if not isinstance(shas, dict):
                raise FileError("a catalog record in the cache is damaged; delete the cache folder")
            self._file_sha256 = shas
        return self._file_sha256


def repo_key(root: Path) -> str:
    """A name for ``root`` in the cache directory."""
    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]


def _record_path(root: Path) -> Path:
    return cache_dir() / "state" / f"{repo_key(root)}.json"


def _stat_digest(stats: list[FileStat]) -> str:
    return hashlib.sha256(repr(stats).encode()).hexdigest()


def _trusted(lines: list[bytes], stats: list[FileStat], max_bytes: int) -> str | None:
    """The content hash recorded for exactly these ``stats``, if the record is whole and not
    racy."""
    if len(lines) != 2:
        return None
    try:
        head = json_text.loads(lines[0])
    except ValueError:
        return None
    if not isinstance(head, dict) or head.get("format") != FORMAT:
        return None
    recorded, sha = head.get("recorded_ns"), head.get("content_sha256")
    if not (isinstance(recorded, int) and isinstance(sha, str)):
        return None
    if head.get("stats") != _stat_digest(stats) or head.get("max_file_bytes") != max_bytes:
        return None
    newest = max((max(s[5], s[6]) for s in stats), default=0)
    return sha if newest < recorded - RACY_NS else None


def take(root: Path) -> Snapshot:
    """The catalog of ``root`` now: from the record when no file changed, else read and hashed
    (and recorded for next time, when nothing was refused)."""
    started = time.time_ns()  # before lstat: a change after this moment is racy
    max_bytes = current_limits().max_file_bytes
    stats = stat_catalog_dir(root)
    path = _record_path(root)
    if stats is not None:
        payload = cache_file.read(path)
        if payload is not None:
            lines = payload.split(b"\n")
            sha = _trusted(lines, stats, max_bytes)
            if sha is not None:
                return Snapshot(sha, None, None, lines)
    scan = scan_catalog_dir(root, max_bytes)
    files = scan.files
    sha = content_sha256(files)
    shas = {p: hashlib.sha256(data).hexdigest() for p, data in files.items()}
    if stats is not None and not scan.refused and [s[0] for s in stats] == sorted(files):
        head = {
            "format": FORMAT,
            "recorded_ns": started,
            "content_sha256": sha,
            "stats": _stat_digest(stats),
            "max_file_bytes": max_bytes,
        }
        cache_file.write(path, json_text.compact(head) + b"\n" + json_text.compact(shas))
    return Snapshot(sha, shas, files, refused=scan.refused)


def scan(root: Path, snapshot: Snapshot) -> CatalogScan:
    """The catalog's bytes and refusals: those the snapshot read, else read now."""
    if snapshot.files is not None:
        return CatalogScan(snapshot.files, snapshot.refused)
    return scan_catalog_dir(root)


def read_files(root: Path, snapshot: Snapshot) -> dict[str, bytes]:
    """The catalog's bytes; :class:`CatalogInvalid` naming what was refused, if anything was."""
    found = scan(root, snapshot)
    if found.refused:
        raise CatalogInvalid([r.problem() for r in found.refused])
    return found.files
