"""A cache of parsed catalog files and of the last validation result, per repository.

Validating an unchanged catalog then costs reading and hashing its files and one small cache
file: no YAML is parsed and no schema is loaded. When some files changed, only those are parsed
again; the others come from the cache with their problems.

The cache lives in the user cache directory (never in the repository), as JSON, keyed by the
package version, the Python version and the schemas' bytes, so an upgrade or a schema edit
invalidates it. A cache that cannot be read or written only makes things slower.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from freegin_gitops import __version__
from freegin_gitops.core.content import content_sha256
from freegin_gitops.core.problems import Problem
from freegin_gitops.resources import schemas_dir
from freegin_gitops.services.catalog.loading import LoadResult, ParsedFile, load_parsed, parse_file
from freegin_gitops.services.catalog.paths import cache_dir

FORMAT = 1
ProblemRow = tuple[str, int, int, str, tuple[Any, ...]]  # stored as JSON lists
Entry = tuple[str, str | None, Any, bool, list[ProblemRow]]  # sha256, kind, data, schema-valid, problems


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{FORMAT} {__version__} {sys.version_info[:2]}".encode())
    for path in sorted(schemas_dir().glob("*.schema.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _rows(problems: tuple[Problem, ...]) -> list[ProblemRow]:
    return [(p.file, p.line, p.col, p.message, tuple(p.path)) for p in problems]


def _problems(rows: list[ProblemRow]) -> tuple[Problem, ...]:
    return tuple(Problem(f, line, col, message, tuple(path)) for f, line, col, message, path in rows)


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError):
        return None


def _write(path: Path, value: Any) -> None:
    from freegin_gitops.adapters.files import atomic_write
    from freegin_gitops.errors import FileError

    with contextlib.suppress(FileError, OSError, ValueError):
        atomic_write(path, json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())


class ParseCache:
    """The cache of one repository's catalog."""

    def __init__(self, root: Path) -> None:
        key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]
        folder = cache_dir() / "parsed"
        self._result_path = folder / f"{key}.result"
        self._files_path = folder / f"{key}.files"
        self._fingerprint = _fingerprint()
        self._files: dict[str, Entry] | None = None
        self._dirty = False

    def result(self, content_sha: str) -> tuple[Problem, ...] | None:
        """The problems of the last validation of exactly this content, if cached."""
        stored = _read(self._result_path)
        if (
            isinstance(stored, dict)
            and stored.get("fingerprint") == self._fingerprint
            and stored.get("content_sha256") == content_sha
        ):
            with contextlib.suppress(TypeError, ValueError):  # a damaged cache is only a miss
                return _problems(stored["problems"])
        return None

    def _entries(self) -> dict[str, Entry]:
        if self._files is None:
            stored = _read(self._files_path)
            self._files = {}
            if isinstance(stored, dict) and stored.get("fingerprint") == self._fingerprint:
                files = stored.get("files")
                if isinstance(files, dict):
                    self._files = {
                        path: tuple(entry) for path, entry in files.items() if isinstance(entry, list)
                    }
        return self._files

    def _cached(self, path: str, sha: str) -> ParsedFile | None:
        entry = self._entries().get(path)
        if entry is None or entry[0] != sha:
            return None
        try:
            _sha, kind, data, schema_valid, rows = entry
            return ParsedFile(path, kind, data, _problems(rows), bool(schema_valid))
        except (TypeError, ValueError):  # a damaged entry is only a miss
            return None

    def parsed(self, path: str, raw: bytes) -> ParsedFile:
        """``parse_file(path, raw)``, from the cache when these bytes were parsed before."""
        sha = hashlib.sha256(raw).hexdigest()
        cached = self._cached(path, sha)
        if cached is not None:
            return cached
        entries = self._entries()
        parsed = parse_file(path, raw)
        entries[path] = (sha, parsed.kind, parsed.data, parsed.schema_valid, _rows(parsed.problems))
        self._dirty = True
        return parsed

    def store(self, result: LoadResult) -> None:
        """Remember ``result`` (and the files parsed for it)."""
        if self._files is not None:
            for stale in set(self._files) - set(result.files):
                del self._files[stale]
                self._dirty = True
            if self._dirty:
                _write(self._files_path, {"fingerprint": self._fingerprint, "files": self._files})
        _write(
            self._result_path,
            {
                "fingerprint": self._fingerprint,
                "content_sha256": result.content_sha256,
                "problems": _rows(result.problems),
            },
        )


def load_cached(root: Path, files: Mapping[str, bytes], *, need_documents: bool) -> LoadResult:
    """Like :func:`load_files`, with the cache of ``root``. Without ``need_documents`` an unchanged
    catalog is answered from the stored result alone (its documents are not loaded)."""
    cache = ParseCache(root)
    sha = content_sha256(files)
    if not need_documents:
        problems = cache.result(sha)
        if problems is not None:
            return LoadResult(sha, tuple(sorted(files)), problems, documents_loaded=False)
    parsed = [cache.parsed(path, files[path]) for path in sorted(files)]
    result = load_parsed(parsed, files)
    cache.store(result)
    return result
