"""Load a catalog: parse every file, check it against its schema and the cross-file rules, and
build the typed :class:`Catalog` when nothing is wrong.

Input is a mapping of repository-relative paths to bytes, so the same code serves a working tree,
a git ref and files named on the command line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from freegin_gitops.core.content import content_sha256
from freegin_gitops.core.layout import (
    CONFIG_FILE,
    PROVIDERS_DIR,
    SUGGESTIONS_DIR,
    WORKLOADS_FILE,
    kind_of,
    modeline,
)
from freegin_gitops.core.problems import PendingProblem, Problem
from freegin_gitops.core.rules import check_catalog
from freegin_gitops.errors import CatalogInvalid

if TYPE_CHECKING:
    from freegin_gitops.adapters.catalog_dir import Refusal
    from freegin_gitops.adapters.yaml_locate import Locator
    from freegin_gitops.core.catalog import Catalog

# The YAML parser and the schema validator are imported when a file is actually parsed: a
# validation answered from the parse cache needs neither.

_MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)\s*$")
_LAYOUT = (
    f"{WORKLOADS_FILE}, {CONFIG_FILE}, {PROVIDERS_DIR}/<provider>.yaml and {SUGGESTIONS_DIR}/<provider>.yaml"
)


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """One file after parsing and its own checks: its data if it passed, and its problems."""

    path: str
    kind: str | None
    data: Any
    problems: tuple[Problem, ...]
    schema_valid: bool = False

    @property
    def ok(self) -> bool:
        """Readable and valid against its schema: usable by the cross-file rules (a wrong schema
        line alone does not stop them)."""
        return self.kind is not None and self.schema_valid


@dataclass(frozen=True)
class LoadResult:
    content_sha256: str
    files: tuple[str, ...]
    problems: tuple[Problem, ...]
    documents: Mapping[str, Any] = field(default_factory=dict)
    documents_loaded: bool = True  # False for a validation answered from the parse cache

    @cached_property
    def catalog(self) -> Catalog | None:
        """The typed catalog, built on first use; None when there are problems."""
        if self.problems:
            return None
        assert self.documents_loaded, "a cached validation result holds no documents"
        from freegin_gitops.core.build import build_catalog

        return build_catalog(self.documents)

    def require_catalog(self) -> Catalog:
        """The catalog, or :class:`CatalogInvalid` naming the first problem."""
        catalog = self.catalog
        if catalog is None:
            raise CatalogInvalid(self.problems)
        return catalog


def _located(path: str, locator: Locator, pending: Sequence[PendingProblem]) -> list[Problem]:
    """Problems with their positions, all found in one pass over the file."""
    positions = locator.locate_all([(p.path, p.key) for p in pending])
    return [
        Problem(path, at.line, at.col, p.message, p.path) for p, at in zip(pending, positions, strict=True)
    ]


def _first_line(raw: bytes) -> str:
    line = raw[: raw.find(b"\n")] if b"\n" in raw[:4096] else raw[:4096]
    return line.decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r")


def parse_file(path: str, raw: bytes, kind: str | None = None) -> ParsedFile:
    """Parse one file and check it alone: YAML, schema line, schema."""
    from freegin_gitops.adapters import schema_check, yaml_read

    kind = kind or kind_of(path)
    if kind is None:
        if path.endswith(".yml"):
            message = f"catalog files use the .yaml extension; rename it to {path[:-4]}.yaml"
        else:
            message = f"unexpected file in the catalog; catalog files are {_LAYOUT}"
        return ParsedFile(path, None, None, (Problem(path, 1, 1, message),))
    try:
        data = yaml_read.parse_bytes(raw)
    except yaml_read.YamlProblem as exc:
        return ParsedFile(path, kind, None, (Problem(path, exc.line, exc.col, exc.message, exc.path),))
    problems: list[Problem] = []
    match = _MODELINE.match(_first_line(raw))
    expected = modeline(kind, path)
    if match is None:
        problems.append(
            Problem(path, 1, 1, f"the file must start with the line '{expected}' so editors can validate it")
        )
    elif not match.group(1).endswith(f"{kind}.schema.json"):
        problems.append(
            Problem(
                path,
                1,
                1,
                f"the schema line names {match.group(1)} but this is a {kind} file; use '{expected}'",
            )
        )
    pending = schema_check.check(kind, data, path)
    if pending:
        from freegin_gitops.adapters.yaml_locate import Locator

        problems.extend(_located(path, Locator(raw), pending))
    return ParsedFile(path, kind, data, tuple(problems), schema_valid=not pending)


def load_parsed(
    parsed: Iterable[ParsedFile], files: Mapping[str, bytes], refused: Sequence[Refusal] = ()
) -> LoadResult:
    """Run the cross-file rules over parsed files and build the catalog if nothing is wrong.
    ``refused`` are catalog paths that were not read (a link out of the catalog, a FIFO, a folder
    that cannot be listed): each is one problem, and nothing that depends on them is reported."""
    parsed = list(parsed)
    problems: list[Problem] = [p for f in parsed for p in f.problems]
    problems += [r.problem() for r in refused]
    documents = {f.path: f.data for f in parsed if f.ok}
    broken = [f.path for f in parsed if not f.ok] + [r.path + "/" if r.folder else r.path for r in refused]
    cross = check_catalog(documents, broken)
    by_file: dict[str, list[PendingProblem]] = {}
    for pending in cross:
        by_file.setdefault(pending.file, []).append(pending)
    for file, pending_here in by_file.items():
        raw = files.get(file)
        if raw is None:
            problems.extend(Problem(file, 1, 1, p.message, p.path) for p in pending_here)
            continue
        from freegin_gitops.adapters.yaml_locate import Locator

        problems.extend(_located(file, Locator(raw), pending_here))
    problems.sort(key=Problem.sort_key)
    return LoadResult(
        content_sha256=content_sha256(files),
        files=tuple(sorted(files)),
        problems=tuple(problems),
        documents=documents,
    )


def load_files(files: Mapping[str, bytes]) -> LoadResult:
    """Parse and check every file, then the catalog as a whole."""
    return load_parsed((parse_file(path, files[path]) for path in sorted(files)), files)
