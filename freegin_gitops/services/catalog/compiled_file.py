"""``compile``: the compiled catalog of a repository, and whether a compiled file is stale.

Compiling 50,000 models takes seconds and writes 38 MB, while most runs (a pre-commit hook, a
script that compiles before it routes, refresh keeping ``compiled/catalog.json`` current) see a
catalog nobody changed. So the rendered bytes are cached, keyed by everything they are made of:
the catalog's content hash (:mod:`snapshot`), the commit, whether the catalog had uncommitted
changes, and the package version; a cached file is used only when its checksum holds. And the
file ``--output`` wrote is remembered with what ``lstat`` said of it then: while that key and that
file are unchanged (the rule of :mod:`snapshot`, racy window included), the file is current and
nothing is read or written.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from freegin_gitops import __version__
from freegin_gitops.adapters import cache_file
from freegin_gitops.adapters.git.tree import head_state
from freegin_gitops.core import json_text
from freegin_gitops.services.catalog import snapshot
from freegin_gitops.services.catalog.paths import cache_dir
from freegin_gitops.services.catalog.repo import CatalogRepo

if TYPE_CHECKING:
    from freegin_gitops.services.catalog.loading import LoadResult

FORMAT = 1
KEEP_CACHED = 4  # rendered catalogs are big: keep the last few only


@dataclass(frozen=True)
class Compiled:
    """A compiled catalog: its document, and its bytes rendered on first use (the router only
    needs the document)."""

    document: dict[str, Any]

    @cached_property
    def data(self) -> bytes:
        from freegin_gitops.core.compiled_document import render

        return render(self.document)


class CompiledBytes:
    """The rendered compiled catalog of a working tree, made (or read from the cache) when first
    asked for; its document is parsed from the bytes when asked for."""

    def __init__(self, repo: CatalogRepo, snap: snapshot.Snapshot, key: bytes) -> None:
        self._repo = repo
        self._snap = snap
        self.key = key
        self.content_sha256 = snap.content_sha256

    @cached_property
    def data(self) -> bytes:
        cached = cache_file.read(_cache_path(self.key), self.key)
        if cached is not None:
            return cached
        from freegin_gitops.services.catalog.parse_cache import load_cached

        files = snapshot.read_files(self._repo.root, self._snap)
        result = load_cached(self._repo.root, files, need_documents=True)
        commit, dirty = json_text.loads(self.key)[3:5]
        data = compile_result(result, commit, dirty).data
        if result.content_sha256 != self.content_sha256:  # the catalog changed meanwhile
            self.content_sha256 = result.content_sha256
            self.key = _key(result.content_sha256, commit, dirty)
        _store(self.key, data)
        return data

    @cached_property
    def document(self) -> dict[str, Any]:
        document: dict[str, Any] = json_text.loads_any(self.data)
        return document


def compile_result(result: LoadResult, commit: str | None, dirty: bool | None) -> Compiled:
    from freegin_gitops.core.compiled_document import SourceInfo, compile_catalog

    catalog = result.require_catalog()
    return Compiled(compile_catalog(catalog, SourceInfo(result.content_sha256, commit, dirty)))


def _key(content_sha: str, commit: str | None, dirty: bool | None) -> bytes:
    """What a rendered catalog is made of."""
    return json_text.compact([FORMAT, __version__, content_sha, commit, dirty])


def _cache_path(key: bytes) -> Path:
    return cache_dir() / "compiled-output" / f"{hashlib.sha256(key).hexdigest()[:40]}.json"


def _store(key: bytes, data: bytes) -> None:
    path = _cache_path(key)
    if not cache_file.write(path, data, key):
        return
    try:
        kept = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for old in kept[KEEP_CACHED:]:
        cache_file.remove(old)


def compile_repo(repo: CatalogRepo) -> CompiledBytes:
    """The compiled catalog of ``repo``'s working tree (rendered when its bytes are first asked
    for: :class:`CatalogInvalid` then if the catalog has problems)."""
    commit, dirty = head_state(repo.root) if repo.writable else (None, None)
    snap = snapshot.take(repo.root)
    return CompiledBytes(repo, snap, _key(snap.content_sha256, commit, dirty))


def kept_compiled(files: Mapping[str, bytes], kept: bytes | None, parent: str | None) -> bytes | None:
    """The compiled catalog to commit with an edit, when the repository keeps one.

    ``files`` is the whole catalog after the edit, ``kept`` the bytes of the kept compiled file
    now (None: the repository keeps none), ``parent`` the commit the edit is made on. Every path
    that commits catalog files (refresh, the ``--commit`` edits) calls this, so that
    ``compile --check`` stays green on what it commits. None when nothing is kept, or when the
    kept file is current already. The compiled document names ``parent`` with ``dirty: true``
    (the catalog differs from it), as ``compile`` run before committing would.
    """
    if kept is None:
        return None
    import json

    from freegin_gitops.core.compiled_document import comparable
    from freegin_gitops.services.catalog.loading import load_files

    compiled = compile_result(load_files(files), parent, True)
    try:
        existing = json.loads(kept)
    except (ValueError, RecursionError):  # not JSON, or nested too deep: regenerated all the same
        existing = None
    if isinstance(existing, dict) and comparable(existing) == comparable(compiled.document):
        return None
    return compiled.data


def _record_path(output: Path) -> Path:
    name = hashlib.sha256(str(output.absolute()).encode()).hexdigest()[:40]
    return cache_dir() / "compiled-output" / "written" / name


def _stat(output: Path) -> list[int] | None:
    try:
        st = os.lstat(output)
    except OSError:
        return None
    return [st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def output_current(output: Path, compiled: CompiledBytes) -> bool:
    """Whether ``output`` holds ``compiled``'s bytes, by the record of when it was written (no
    read); False when there is no such record or the file changed since."""
    payload = cache_file.read(_record_path(output), compiled.key)
    now = _stat(output)
    if payload is None or now is None:
        return False
    try:
        recorded_ns, recorded = json_text.loads(payload)
    except (ValueError, TypeError):
        return False
    return bool(recorded == now and max(now[4], now[5]) < recorded_ns - snapshot.RACY_NS)


def remember_output(output: Path, compiled: CompiledBytes, started_ns: int) -> None:
    """Record that ``output`` holds ``compiled``'s bytes as of ``started_ns`` (taken before the
    file was written or compared)."""
    now = _stat(output)
    if now is not None:
        cache_file.write(_record_path(output), json_text.compact([started_ns, now]), compiled.key)


def write_output(output: Path, compiled: CompiledBytes) -> bool:
    """Make ``output`` hold the compiled catalog; False when it already did (it is left alone)."""
    from freegin_gitops.adapters.files import atomic_write

    if output_current(output, compiled):
        return False
    started = time.time_ns()
    data = compiled.data
    try:
        same = output.stat().st_size == len(data) and output.read_bytes() == data
    except OSError:
        same = False
    if not same:
        atomic_write(output, data)
    remember_output(output, compiled, started)
    return not same


def is_stale(path: Path, compiled: CompiledBytes) -> str | None:
    """Why the compiled file at ``path`` does not match ``compiled``, or None if it does.

    ``source.commit`` and ``source.dirty`` are not compared: they change whenever the compiled
    file itself is committed.
    """
    from freegin_gitops.adapters.catalog_dir import FileRefused, read_regular
    from freegin_gitops.adapters.env_limits import current_limits
    from freegin_gitops.core.compiled_document import comparable

    if output_current(path, compiled):
        return None
    if not os.path.lexists(path):
        return f"{path} does not exist"
    try:
        # A pull request may make it a link to /dev/zero, or nest it 100,000 deep.
        existing = read_regular(path, current_limits().max_file_bytes)
    except FileRefused as exc:
        return f"{path} {exc}"
    if existing == compiled.data:
        return None
    try:
        document = json_text.loads_any(existing)
    except RecursionError:
        return f"{path} cannot be read as JSON (it is nested too deeply)"
    except ValueError as exc:
        return f"{path} cannot be read as JSON ({exc})"
    if not isinstance(document, dict) or comparable(document) != comparable(compiled.document):
        return f"{path} is stale: the catalog has changed since it was compiled"
    return None
