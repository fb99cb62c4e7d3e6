"""The files one edit works on: lookups in the parsed catalog, documents loaded for round-trip
editing, the new bytes, and the check that the catalog stays valid."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from freegin_gitops.adapters import yaml_edit
from freegin_gitops.core.layout import (
    PROVIDERS_DIR,
    WORKLOADS_FILE,
    kind_of,
    modeline,
    provider_file,
    suggestions_file,
)
from freegin_gitops.core.naming import did_you_mean
from freegin_gitops.core.problems import Problem
from freegin_gitops.core.rules import stem
from freegin_gitops.errors import CatalogInvalid, NotFound
from freegin_gitops.services.catalog.loading import LoadResult, load_files


@dataclass(frozen=True, slots=True)
class EditResult:
    """What an edit changed: the new bytes of each changed file (in the order to write them) and
    one line for the person who asked. No ``changes`` means there was nothing to change."""

    action: str
    provider: str
    model: str
    summary: str
    workloads: tuple[str, ...] = ()
    changes: Mapping[str, bytes] = field(default_factory=dict)
    reason: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(self.changes)

    @property
    def subject(self) -> str:
        """``adopt groq/qwen-2.5-coder-32b for code``."""
        text = f"{self.action} {self.provider}/{self.model}"
        return f"{text} for {', '.join(self.workloads)}" if self.workloads else text

    def commit_message(self) -> str:
        body = f"\n\nReason: {self.reason}\n" if self.reason else "\n"
        return f"catalog: {self.subject}{body}"


def utc(now: dt.datetime) -> dt.datetime:
    """``now`` in UTC; a naive time is taken to be UTC already."""
    return now.replace(tzinfo=dt.UTC) if now.tzinfo is None else now.astimezone(dt.UTC)


def timestamp(now: dt.datetime) -> str:
    """``2026-11-25T10:00:00Z``: the form suggestions use."""
    return utc(now).strftime("%Y-%m-%dT%H:%M:%SZ")


def day(now: dt.datetime) -> str:
    """``2026-11-25``: the UTC date of ``now``, the form of ``added`` and ``retired``."""
    return utc(now).date().isoformat()


def new_suggestions_document(provider: str) -> yaml_edit.Document:
    """An empty ``catalog/suggestions/<provider>.yaml`` that starts with its schema line."""
    path = suggestions_file(provider)
    text = f"{modeline('suggestions', path)}\nsuggestions: []\n"
    return yaml_edit.load(text.encode(), path)


class Workspace:
    """Catalog files being edited: each document is loaded once, on first use, and dumped by
    :meth:`changes`. A missing suggestions file is created; a missing provider file is not."""

    def __init__(self, files: Mapping[str, bytes]) -> None:
        self.files = files
        self._docs: dict[str, yaml_edit.Document] = {}

    def document(self, path: str) -> yaml_edit.Document:
        doc = self._docs.get(path)
        if doc is None:
            raw = self.files.get(path)
            if raw is not None:
                doc = yaml_edit.load(raw, path)
            elif kind_of(path) == "suggestions":
                doc = new_suggestions_document(stem(path))
            else:
                raise NotFound(f"{path} does not exist")
            self._docs[path] = doc
        return doc

    def provider(self, provider: str) -> Any:
        """The root mapping of the provider's file."""
        return self.document(provider_file(provider)).root

    def suggestions(self, provider: str) -> Any:
        """The root mapping of the provider's suggestions file (created if missing)."""
        return self.document(suggestions_file(provider)).root

    def changes(self) -> dict[str, bytes]:
        """New bytes of every document that differs from its file, in the order first used."""
        out: dict[str, bytes] = {}
        for path, doc in self._docs.items():
            data = yaml_edit.dump(doc)
            if data != self.files.get(path):
                out[path] = data
        return out


def _more(problems: Sequence[Problem]) -> str:
    if len(problems) < 2:
        return ""
    return f" (and {len(problems) - 1} more problem(s); run freegin-ai validate)"


class CatalogView:
    """Lookups in the parsed catalog before an edit. Works when unrelated files have problems
    (so an edit can be what fixes them); refuses when a file the edit needs is broken."""

    def __init__(self, files: Mapping[str, bytes], action: str) -> None:
        self.files = files
        self.action = action
        self.result: LoadResult = load_files(files)

    def _document(self, path: str) -> Any:
        if path in self.result.documents:
            return self.result.documents[path]
        if path not in self.files:
            return None
        problems = [p for p in self.result.problems if p.file == path]
        first = problems[0].render() if problems else f"{path} cannot be read"
        raise CatalogInvalid(problems, f"cannot {self.action}: {first}{_more(problems)}")

    def providers(self) -> list[str]:
        found = [p for p in self.files if p.startswith(PROVIDERS_DIR + "/") and kind_of(p)]
        return sorted(stem(p) for p in found)

    def provider(self, provider: str) -> Any:
        """The provider's parsed file, or :class:`NotFound` with close matches."""
        doc = self._document(provider_file(provider))
        if doc is None:
            raise NotFound(
                f"unknown provider {provider!r}: there is no {provider_file(provider)}"
                f"{did_you_mean(provider, self.providers())}"
            )
        return doc

    def workloads(self) -> list[str]:
        doc = self._document(WORKLOADS_FILE)
        return sorted(doc["workloads"]) if doc else []

    def require_workload(self, workload: str) -> None:
        known = self.workloads()
        if workload not in known:
            raise NotFound(
                f"unknown workload {workload!r}; workloads are defined in {WORKLOADS_FILE}"
                f"{did_you_mean(workload, known)}"
            )

    def suggestions(self, provider: str) -> list[Any]:
        doc = self._document(suggestions_file(provider))
        return list(doc["suggestions"]) if doc else []


def check_result(files: Mapping[str, bytes], changes: Mapping[str, bytes], what: str) -> None:
    """Refuse (:class:`CatalogInvalid`) unless the catalog with ``changes`` has no problem."""
    if not changes:
        return
    result = load_files({**files, **changes})
    if result.problems:
        first = result.problems[0].render()
        raise CatalogInvalid(
            result.problems,
            f"refusing to {what}: the catalog would be invalid: {first}{_more(result.problems)}",
        )
