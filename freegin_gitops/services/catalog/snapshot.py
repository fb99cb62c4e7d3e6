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
from typing import Any, NamedTuple

from freegin_gitops.adapters import cache_file
from freegin_gitops.adapters.catalog_dir import FileStat, read_catalog_dir, stat_catalog_dir
from freegin_gitops.core import json_text
from freegin_gitops.core.content import content_sha256
from freegin_gitops.services.catalog.paths import cache_dir

FORMAT = 1
RACY_NS = 2_000_000_000


class Snapshot(NamedTuple):
    """The catalog of a working tree at one moment."""

    content_sha256: str
    file_sha256: dict[str, str]  # path -> sha256 of its bytes
    files: dict[str, bytes] | None  # the bytes, when they had to be read


def repo_key(root: Path) -> str:
    """A name for ``root`` in the cache directory."""
    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]


def _manifest_path(root: Path) -> Path:
    return cache_dir() / "state" / f"{repo_key(root)}.json"


def _trusted(stored: Any, stats: list[FileStat]) -> tuple[str, dict[str, str]] | None:
    """The hash recorded for exactly these ``stats``, if the record is whole and not racy."""
    if not isinstance(stored, dict) or stored.get("format") != FORMAT:
        return None
    entries, recorded, sha = stored.get("files"), stored.get("recorded_ns"), stored.get("content_sha256")
    if not (isinstance(entries, list) and isinstance(recorded, int) and isinstance(sha, str)):
        return None
    if len(entries) != len(stats):
        return None
    shas: dict[str, str] = {}
    for entry, now in zip(entries, stats, strict=True):
        if not isinstance(entry, list) or len(entry) != 8 or tuple(entry[:7]) != now:
            return None
        if max(now[5], now[6]) >= recorded - RACY_NS:
            return None
        shas[now[0]] = entry[7]
    return sha, shas


def take(root: Path) -> Snapshot:
    """The catalog of ``root`` now: from the record when no file changed, else read and hashed
    (and recorded for next time)."""
    started = time.time_ns()  # before lstat: a change after this moment is racy
    stats = stat_catalog_dir(root)
    path = _manifest_path(root)
    if stats is not None:
        payload = cache_file.read(path)
        if payload is not None:
            try:
                trusted = _trusted(json_text.loads(payload), stats)
            except ValueError:
                trusted = None
            if trusted is not None:
                return Snapshot(trusted[0], trusted[1], None)
    files = read_catalog_dir(root)
    sha = content_sha256(files)
    shas = {p: hashlib.sha256(data).hexdigest() for p, data in files.items()}
    if stats is not None and [s[0] for s in stats] == sorted(files):
        record = {
            "format": FORMAT,
            "recorded_ns": started,
            "content_sha256": sha,
            "files": [[*s, shas[s[0]]] for s in stats],
        }
        cache_file.write(path, json_text.compact(record))
    return Snapshot(sha, shas, files)


def read_files(root: Path, snapshot: Snapshot) -> dict[str, bytes]:
    """The catalog's bytes: those the snapshot read, else read now."""
    return snapshot.files if snapshot.files is not None else read_catalog_dir(root)
