"""Loading the compiled catalog for the router: a cached routing view keyed by the catalog's
content hash, else the repository's compiled file when it is current, else a fresh compilation.
Only the last path parses YAML, so routing starts fast whatever the catalog's size.

The cache holds a *routing view*: the compiled document without the models' hints (the router
does not use them), each candidate list written as runs of one provider's models
(``[["groq", ["llama-3.3-70b-versatile", ...]], ...]``; a deprecated model keeps its date, reason
and successor, which ``route`` shows), one line per workload. For 52,760 models
a route reads 1.5 MB of it instead of the 38 MB compiled file, and candidates are made only as far
as a plan reaches (:class:`CandidateList`). The working tree's content hash comes from
:mod:`snapshot`, so an unchanged catalog is not read at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from freegin_gitops import __version__
from freegin_gitops.adapters import cache_file
from freegin_gitops.adapters.catalog_dir import FileRefused, read_regular
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.core import json_text
from freegin_gitops.core.compiled_catalog import CompiledCatalog, runs_of
from freegin_gitops.core.content import content_sha256
from freegin_gitops.core.layout import COMPILED_FILE
from freegin_gitops.errors import FileError
from freegin_gitops.services.catalog import snapshot
from freegin_gitops.services.catalog.paths import cache_dir
from freegin_gitops.services.catalog.repo import CatalogRepo

COMPILED_IN_REPO = COMPILED_FILE
KEEP_CACHED = 32
VIEW_FORMAT = 4

_SECTIONS = ("routing", "refresh", "workloads", "providers", "candidates")


def _current(document: Any, sha: str) -> bool:
    """True if ``document`` is a compiled catalog (in outline) of the content ``sha``."""
    if not isinstance(document, dict) or document.get("schema_version") != 1:
        return False
    source = document.get("source")
    return (
        isinstance(source, dict)
        and source.get("content_sha256") == sha
        and all(isinstance(document.get(key), dict) for key in _SECTIONS)
    )


def _valid(document: dict[str, Any], path: Path) -> bool:
    """A compiled file someone keeps in the repository is checked against its schema before the
    router trusts it (once: what it reads then is cached)."""
    from freegin_gitops.adapters import schema_check

    return not schema_check.check("compiled", document, str(path))


def _cache_path(sha: str) -> Path:
    key = hashlib.sha256(f"{VIEW_FORMAT} {__version__} {sha}".encode()).hexdigest()[:40]
    return cache_dir() / "routing" / f"{key}.json"


def routing_view(document: dict[str, Any]) -> bytes:
    """The compiled document without the models' hints, as lines of compact JSON: first the
    document without its candidates (and which line holds each workload's), then one line per
    workload with its candidate lists as runs. A route reads the first line and its workload's."""
    workloads = sorted(document["candidates"])
    head = {k: v for k, v in document.items() if k != "candidates"}
    head["candidate_lines"] = {w: i for i, w in enumerate(workloads, start=1)}
    lines = [json_text.compact(head)]
    for workload in workloads:
        lists = document["candidates"][workload]
        line: dict[str, Any] = {
            which: runs_of(entries) for which, entries in lists.items() if which != "deprecated"
        }
        line["deprecated"] = [
            {k: v for k, v in c.items() if k != "hints"} for c in lists.get("deprecated", ())
        ]
        lines.append(json_text.compact(line))
    return b"\n".join(lines)


def _runs_shape(lists: Any) -> bool:
    """Whether one workload's line has the shape of runs (a cheap look at each run)."""
    if not isinstance(lists, dict):
        return False
    deprecated = lists.get("deprecated")
    if not isinstance(deprecated, list) or not all(
        isinstance(c, dict) and isinstance(c.get("provider"), str) and isinstance(c.get("model"), str)
        for c in deprecated
    ):
        return False
    for which in ("active", "pending", "defaults"):
        runs = lists.get(which)
        if not isinstance(runs, list):
            return False
        for run in runs:
            if not (isinstance(run, list) and len(run) == 2 and isinstance(run[0], str)):
                return False
            if not isinstance(run[1], list):
                return False
    return True


class _LazyRuns(Mapping[str, Mapping[str, Any]]):
    """Each workload's candidate runs, parsed from its line of the view when first asked for."""

    def __init__(self, path: Path, lines: list[bytes], index: dict[str, int]) -> None:
        self._path = path
        self._lines = lines
        self._index = index
        self._parsed: dict[str, Mapping[str, Any]] = {}

    def __getitem__(self, workload: str) -> Mapping[str, Any]:
        found = self._parsed.get(workload)
        if found is None:
            try:
                lists = json_text.loads(self._lines[self._index[workload]])
            except ValueError:
                lists = None
            if not _runs_shape(lists):  # whole (its checksum holds), yet not what was written
                raise FileError(f"the cached routing view {self._path} is not one; delete it")
            found = self._parsed[workload] = lists
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)


def _read_view(sha: str, commit: str | None) -> CompiledCatalog | None:
    path = _cache_path(sha)
    payload = cache_file.read(path)
    if payload is None:
        return None
    lines = payload.split(b"\n")
    try:
        head = json_text.loads(lines[0])
    except ValueError:
        return None
    index = head.get("candidate_lines") if isinstance(head, dict) else None
    if not isinstance(index, dict) or sorted(index.values()) != list(range(1, len(lines))):
        return None
    head["candidates"] = dict.fromkeys(index)  # names only: lists come from the lines
    if not _current(head, sha):
        return None
    return CompiledCatalog(head, pinned_commit=commit, lists=_LazyRuns(path, lines, index))


def _store(sha: str, document: dict[str, Any]) -> None:
    """Cache a routing view; a cache that cannot be written is only slower, never an error."""
    path = _cache_path(sha)
    if not cache_file.write(path, routing_view(document)):
        return
    try:
        cached = sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)
    except OSError:
        return
    for old in cached[KEEP_CACHED:]:
        cache_file.remove(old)


def load_compiled(repo: CatalogRepo, ref: str | None = None) -> CompiledCatalog:
    """The compiled catalog of ``repo``'s working tree, or of the commit ``ref`` names."""
    commit: str | None = None
    if ref is not None:
        from freegin_gitops.adapters.git.tree import read_catalog_at

        commit, files = read_catalog_at(repo.root, ref, repo.git_prefix())
        sha = content_sha256(files)
    else:
        snap = snapshot.take(repo.root)
        sha = snap.content_sha256
        found = _read_view(sha, None)
        if found is not None:
            return found
        files = snapshot.read_files(repo.root, snap)
        sha = content_sha256(files) if snap.files is None else sha
    found = _read_view(sha, commit)
    if found is not None:
        return found
    if ref is None:
        in_repo = repo.root / COMPILED_IN_REPO
        try:
            kept = json_text.loads_any(read_regular(in_repo, current_limits().max_file_bytes))
        except (FileRefused, ValueError, RecursionError):  # missing, a link, a FIFO, not JSON
            kept = None
        if _current(kept, sha) and _valid(kept, in_repo):
            _store(sha, kept)
            return CompiledCatalog(kept)
    from freegin_gitops.services.catalog.compiled_file import compile_result
    from freegin_gitops.services.catalog.loading import load_files

    compiled = compile_result(load_files(files), commit, False if commit else None)
    _store(sha, compiled.document)
    return CompiledCatalog(compiled.document, pinned_commit=commit)
