"""A cache of parsed catalog files and of the last validation result, per repository.

Validating an unchanged catalog then costs one look at its files (:mod:`snapshot`) and one small
cache file: no YAML is parsed and no schema is loaded. When some files changed, only those are
parsed again; the others come from the cache with their problems. Each parsed file is an entry
of its own, named by its path and the hash of its bytes, so a command that needs one provider's
models (``list-models --provider``) reads that provider's entry and no other.

The cache lives in the user cache directory (never in the repository), keyed by the package
version, the Python version and the schemas' bytes, so an upgrade or a schema edit invalidates
it. Every cache file carries a checksum (:mod:`freegin_gitops.adapters.cache_file`); one that
does not check out, or does not have the expected shape, is a miss. A cache that cannot be read
or written only makes things slower.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from freegin_gitops import __version__
from freegin_gitops.adapters import cache_file
from freegin_gitops.core import json_text
from freegin_gitops.core.content import content_sha256
from freegin_gitops.core.problems import Problem
from freegin_gitops.resources import schemas_dir
from freegin_gitops.services.catalog.loading import LoadResult, ParsedFile, load_parsed, parse_file
from freegin_gitops.services.catalog.paths import cache_dir
from freegin_gitops.services.catalog.snapshot import repo_key

FORMAT = 2
ProblemRow = tuple[str, int, int, str, tuple[Any, ...]]  # stored as JSON lists
RESULT = "result"


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{FORMAT} {__version__} {sys.version_info[:2]}".encode())
    for path in sorted(schemas_dir().glob("*.schema.json")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _rows(problems: tuple[Problem, ...]) -> list[ProblemRow]:
    return [(p.file, p.line, p.col, p.message, tuple(p.path)) for p in problems]


def _problems(rows: Any) -> tuple[Problem, ...]:
    return tuple(Problem(f, line, col, message, tuple(path)) for f, line, col, message, path in rows)


def _load(path: Path) -> Any:
    payload = cache_file.read(path)
    if payload is None:
        return None
    try:
        return json_text.loads(payload)
    except (ValueError, RecursionError):
        return None


class ParseCache:
    """The cache of one repository's catalog."""

    def __init__(self, root: Path) -> None:
        self._folder = cache_dir() / "parsed" / repo_key(root)
        self._fingerprint = _fingerprint()
        self._used: set[str] = set()
        self._wrote = False

    def _entry_name(self, path: str, sha: str) -> str:
        return hashlib.sha256(f"{self._fingerprint}\0{path}\0{sha}".encode()).hexdigest()[:40]

    def result(self, content_sha: str) -> tuple[Problem, ...] | None:
        """The problems of the last validation of exactly this content, if cached."""
        stored = _load(self._folder / RESULT)
        if (
            isinstance(stored, dict)
            and stored.get("fingerprint") == self._fingerprint
            and stored.get("content_sha256") == content_sha
        ):
            try:
                return _problems(stored["problems"])
            except (KeyError, TypeError, ValueError):  # a damaged cache is only a miss
                return None
        return None

    def entry(self, path: str, sha: str) -> ParsedFile | None:
        """The parsed file ``path`` whose bytes hash to ``sha``, if cached."""
        name = self._entry_name(path, sha)
        self._used.add(name)
        stored = _load(self._folder / name)
        try:
            kind, data, schema_valid, rows = stored
            if not (kind is None or isinstance(kind, str)) or not isinstance(schema_valid, bool):
                return None
            return ParsedFile(path, kind, data, _problems(rows), schema_valid)
        except (TypeError, ValueError):  # a damaged entry is only a miss
            return None

    def parsed(self, path: str, raw: bytes) -> ParsedFile:
        """``parse_file(path, raw)``, from the cache when these bytes were parsed before."""
        sha = hashlib.sha256(raw).hexdigest()
        cached = self.entry(path, sha)
        if cached is not None:
            return cached
        parsed = parse_file(path, raw)
        stored = [parsed.kind, parsed.data, parsed.schema_valid, _rows(parsed.problems)]
        self._wrote |= cache_file.write(self._folder / self._entry_name(path, sha), json_text.compact(stored))
        return parsed

    def store(self, result: LoadResult) -> None:
        """Remember ``result``; forget entries of files the catalog no longer has (when enough
        have gathered that looking is worth it)."""
        record = {
            "fingerprint": self._fingerprint,
            "content_sha256": result.content_sha256,
            "problems": _rows(result.problems),
        }
        cache_file.write(self._folder / RESULT, json_text.compact(record))
        if self._wrote:
            self._prune()

    def _prune(self) -> None:
        try:
            names = [p.name for p in self._folder.iterdir()]
        except OSError:
            return
        if len(names) <= 2 * len(self._used) + 64:
            return
        for name in names:
            if name != RESULT and name not in self._used:
                cache_file.remove(self._folder / name)


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
