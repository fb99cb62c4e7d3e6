"""``compile``: the compiled catalog of a repository, and whether a compiled file is stale.

Compiling 50,000 models takes seconds and writes 38 MB, while most runs (a pre-commit hook, CI's
``compile --check``, a script that compiles before it routes) see a catalog nobody changed. So
the rendered bytes are cached, keyed by everything they are made of: the catalog's content hash
(:mod:`snapshot`), the commit, whether the catalog had uncommitted changes, and the package
version. A cached file is used only when its checksum holds.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from freegin_gitops import __version__
from freegin_gitops.adapters import cache_file
from freegin_gitops.adapters.git.tree import head_state
from freegin_gitops.core import json_text
from freegin_gitops.core.compiled_document import SourceInfo, comparable, compile_catalog, render
from freegin_gitops.services.catalog import snapshot
from freegin_gitops.services.catalog.loading import LoadResult
from freegin_gitops.services.catalog.parse_cache import load_cached
from freegin_gitops.services.catalog.paths import cache_dir
from freegin_gitops.services.catalog.repo import CatalogRepo

FORMAT = 1
KEEP_CACHED = 4  # rendered catalogs are big: keep the last few only


@dataclass(frozen=True)
class Compiled:
    """A compiled catalog: its document, and its bytes rendered on first use (the router only
    needs the document)."""

    document: dict[str, Any]

    @cached_property
    def data(self) -> bytes:
        return render(self.document)


@dataclass(frozen=True)
class CompiledBytes:
    """The rendered compiled catalog; its document is parsed from the bytes when asked for."""

    data: bytes
    content_sha256: str

    @cached_property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json_text.loads(self.data)
        return document


def compile_result(result: LoadResult, commit: str | None, dirty: bool | None) -> Compiled:
    catalog = result.require_catalog()
    return Compiled(compile_catalog(catalog, SourceInfo(result.content_sha256, commit, dirty)))


def _key(content_sha: str, commit: str | None, dirty: bool | None) -> bytes:
    """What a rendered catalog is made of, as the first line of its cache file."""
    return json_text.compact([FORMAT, __version__, content_sha, commit, dirty])


def _cache_path(key: bytes) -> Path:
    return cache_dir() / "compiled-output" / f"{hashlib.sha256(key).hexdigest()[:40]}.json"


def _cached(key: bytes) -> bytes | None:
    """The rendered catalog stored for ``key``: a whole file that names that key."""
    payload = cache_file.read(_cache_path(key))
    if payload is None or not payload.startswith(key + b"\n"):
        return None
    return payload[len(key) + 1 :]


def _store(key: bytes, data: bytes) -> None:
    path = _cache_path(key)
    if not cache_file.write(path, key + b"\n" + data):
        return
    try:
        kept = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for old in kept[KEEP_CACHED:]:
        cache_file.remove(old)


def compile_repo(repo: CatalogRepo) -> CompiledBytes:
    """The rendered compiled catalog of ``repo``'s working tree; :class:`CatalogInvalid` if it has
    problems. Served from the cache when nothing it is made of changed."""
    commit, dirty = head_state(repo.root) if repo.writable else (None, None)
    snap = snapshot.take(repo.root)
    cached = _cached(_key(snap.content_sha256, commit, dirty))
    if cached is not None:
        return CompiledBytes(cached, snap.content_sha256)
    result = load_cached(repo.root, snapshot.read_files(repo.root, snap), need_documents=True)
    data = compile_result(result, commit, dirty).data
    _store(_key(result.content_sha256, commit, dirty), data)
    return CompiledBytes(data, result.content_sha256)


def is_stale(path: Path, compiled: CompiledBytes) -> str | None:
    """Why the compiled file at ``path`` does not match ``compiled``, or None if it does.

    ``source.commit`` and ``source.dirty`` are not compared: they change whenever the compiled
    file itself is committed.
    """
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        return f"{path} does not exist"
    except OSError as exc:
        return f"{path} cannot be read as JSON ({exc.strerror})"
    if existing == compiled.data:
        return None
    try:
        document = json_text.loads(existing)
    except ValueError as exc:
        return f"{path} cannot be read as JSON ({exc})"
    if not isinstance(document, dict) or comparable(document) != comparable(compiled.document):
        return f"{path} is stale: the catalog has changed since it was compiled"
    return None
