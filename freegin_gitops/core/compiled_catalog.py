"""The compiled catalog as the router sees it: typed, read-only, built lazily from the JSON document.

Only what a routed call needs is turned into objects, and only when first asked for, so that
loading a catalog of thousands of models costs little more than parsing its JSON. The record types
are ``NamedTuple``s rather than dataclasses: they are on the path of every routed call and of
``route``'s start-up, and a NamedTuple class is several times cheaper to create.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple, overload

from freegin_gitops.core.budgets import NO_LIMITS, Limits

Origin = Literal["override", "catalog", "deprecated", "pending", "default"]


class Candidate(NamedTuple):
    """One provider/model the router may call, and why it is on the list."""

    provider: str
    model: str
    origin: Origin


class ProviderApi(NamedTuple):
    id: str
    name: str
    style: str
    base_url: str
    api_key_env: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    timeout_s: float | None = None


class Deprecation(NamedTuple):
    """Why a deprecated model is still a candidate, and since when (``route`` shows it)."""

    since: str | None
    reason: str | None = None
    successor: str | None = None


Run = tuple[str, Sequence[str]]  # one provider and its models, in order
_LISTS = ("active", "deprecated", "pending", "defaults")
_ORIGINS: dict[str, Origin] = {
    "active": "catalog",
    "deprecated": "deprecated",
    "pending": "pending",
    "defaults": "default",
}


def runs_of(entries: Sequence[Mapping[str, Any]]) -> list[Run]:
    """A compiled candidate list as runs of one provider's models (linear; keeps the order)."""
    runs: list[Run] = []
    provider: str | None = None
    models: list[str] = []
    for entry in entries:
        if entry["provider"] != provider:
            if provider is not None:
                runs.append((provider, models))
            provider, models = entry["provider"], []
        models.append(entry["model"])
    if provider is not None:
        runs.append((provider, models))
    return runs


class CandidateList(Sequence[Candidate]):
    """One candidate list kept as runs of one provider's models: a :class:`Candidate` is made
    only when it is reached, so planning the first few of 50,000 costs what the first few cost."""

    __slots__ = ("_len", "_origin", "_runs", "_starts")

    def __init__(self, runs: Sequence[Run], origin: Origin) -> None:
        self._runs = runs
        self._origin = origin
        self._len = sum(len(models) for _, models in runs)
        self._starts: list[int] | None = None

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Candidate]:
        origin = self._origin
        for provider, models in self._runs:
            for model in models:
                yield Candidate(provider, model, origin)

    @overload
    def __getitem__(self, index: int) -> Candidate: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Candidate]: ...

    def __getitem__(self, index: int | slice) -> Candidate | Sequence[Candidate]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(self._len)))
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("candidate index out of range")
        if self._starts is None:
            self._starts = list(itertools.accumulate((len(m) for _, m in self._runs), initial=0))
        run = bisect.bisect_right(self._starts, index) - 1
        provider, models = self._runs[run]
        return Candidate(provider, models[index - self._starts[run]], self._origin)

    def of_provider(self, provider: str) -> tuple[Candidate, ...]:
        """The candidates of one provider, in order."""
        return tuple(
            Candidate(p, model, self._origin) for p, models in self._runs if p == provider for model in models
        )


class WorkloadCandidates(NamedTuple):
    active: CandidateList
    deprecated: CandidateList  # after every active one: still served, on its way out
    pending: CandidateList
    defaults: CandidateList


class CompiledCatalog:
    """A compiled catalog with typed, cached accessors.

    ``document`` is the compiled document, or the router's cached view of one (see
    ``services/catalog/compiled_store``), whose candidate lists are given apart (``lists``, by
    workload): ``active``, ``pending`` and ``defaults`` as runs of one provider's models, and
    ``deprecated`` as the compiled entries (without hints). Either way candidates are read
    through :meth:`candidates`.
    """

    def __init__(
        self,
        document: Mapping[str, Any],
        pinned_commit: str | None = None,
        lists: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.document = document
        self.pinned_commit = pinned_commit  # the commit of ``--ref``, when read at one
        self._lists = lists
        self._providers: dict[str, ProviderApi] = {}
        self._workloads: dict[str, WorkloadCandidates] = {}
        self._by_provider: dict[tuple[str, str, str], tuple[Candidate, ...]] = {}
        self._limits: dict[tuple[str, str | None], Limits] = {}
        self._deprecations: dict[tuple[str, str], Deprecation] | None = None

    @property
    def content_sha256(self) -> str:
        return str(self.document["source"]["content_sha256"])

    @property
    def commit(self) -> str | None:
        commit = self.document["source"]["commit"]
        return str(commit) if commit else None

    @property
    def include_pending(self) -> bool:
        return bool(self.document["routing"]["include_pending"])

    @property
    def timeout_s(self) -> float:
        return float(self.document["routing"]["timeout_s"])

    @property
    def max_attempts(self) -> int:
        return int(self.document["routing"]["max_attempts"])

    @property
    def refresh(self) -> Mapping[str, Any]:
        settings: Mapping[str, Any] = self.document["refresh"]
        return settings

    def workload_names(self) -> list[str]:
        return sorted(self.document["workloads"])

    def workload(self, name: str) -> Mapping[str, Any] | None:
        found: Mapping[str, Any] | None = self.document["workloads"].get(name)
        return found

    def provider_ids(self) -> list[str]:
        return list(self.document["routing"]["provider_order"])

    def provider(self, provider_id: str) -> ProviderApi | None:
        cached = self._providers.get(provider_id)
        if cached is not None:
            return cached
        raw = self.document["providers"].get(provider_id)
        if raw is None:
            return None
        api = raw["api"]
        made = ProviderApi(
            id=provider_id,
            name=raw["name"],
            style=api["style"],
            base_url=api["base_url"],
            api_key_env=api.get("api_key_env"),
            headers=tuple(sorted(api.get("headers", {}).items())),
            timeout_s=api.get("timeout_s"),
        )
        self._providers[provider_id] = made
        return made

    def limits(self, provider_id: str, model: str | None = None) -> Limits:
        """The counted limits of ``provider_id`` (its key's), or with ``model`` that model's own
        (whose ``day_resets`` defaults to the provider's); none for an unknown provider."""
        cached = self._limits.get((provider_id, model))
        if cached is not None:
            return cached
        raw = self.document["providers"].get(provider_id)
        if raw is None:
            made = NO_LIMITS
        elif model is None:
            made = Limits.from_mapping(raw.get("limits"))
        else:
            own = raw.get("model_limits", {}).get(model)
            made = Limits.from_mapping(own, self.limits(provider_id).day_resets) if own else NO_LIMITS
        self._limits[(provider_id, model)] = made
        return made

    def _workload_lists(self, workload: str) -> Mapping[str, Any] | None:
        if self._lists is not None:
            return self._lists.get(workload) if workload in self._lists else None
        raw: Mapping[str, Any] | None = self.document["candidates"].get(workload)
        return raw

    def runs(self, workload: str) -> Mapping[str, Sequence[Run]] | None:
        """The candidate lists of ``workload`` as runs (see :func:`runs_of`)."""
        lists = self._workload_lists(workload)
        if lists is None:
            return None
        runs: dict[str, Sequence[Run]] = {}
        for which in _LISTS:
            # a view cached before deprecation existed has no list: none was deprecated
            entries = lists.get(which, ())
            runs[which] = entries if self._lists is not None and which != "deprecated" else runs_of(entries)
        return runs

    def candidates(self, workload: str) -> WorkloadCandidates | None:
        cached = self._workloads.get(workload)
        if cached is not None:
            return cached
        runs = self.runs(workload)
        if runs is None:
            return None
        made = WorkloadCandidates(*(CandidateList(runs[which], _ORIGINS[which]) for which in _LISTS))
        self._workloads[workload] = made
        return made

    def of_provider(self, workload: str, which: str, provider: str) -> tuple[Candidate, ...]:
        """The ``which`` list (active, pending, defaults) of ``workload`` at one provider."""
        key = (workload, which, provider)
        found = self._by_provider.get(key)
        if found is None:
            lists = self.candidates(workload)
            found = getattr(lists, which).of_provider(provider) if lists is not None else ()
            self._by_provider[key] = found
        return found

    def deprecation(self, provider: str, model: str) -> Deprecation | None:
        """Since when and why ``provider``/``model`` is deprecated, or None if it is not."""
        if self._deprecations is None:
            found: dict[tuple[str, str], Deprecation] = {}
            names = self._lists if self._lists is not None else self.document["candidates"]
            for workload in names:
                lists = self._workload_lists(workload)
                for c in lists.get("deprecated", ()) if lists is not None else ():
                    found[(c["provider"], c["model"])] = Deprecation(
                        c.get("deprecated"), c.get("reason"), c.get("successor")
                    )
            self._deprecations = found
        return self._deprecations.get((provider, model))


_PLACEHOLDER = re.compile(r"\$\{([A-Z_][A-Z0-9_]*)\}")


def url_variables(base_url: str) -> list[str]:
    """Environment variables a base URL needs (``${VAR}`` placeholders)."""
    return _PLACEHOLDER.findall(base_url)


def expand_url(base_url: str, environ: Mapping[str, str]) -> str:
    """The base URL with its placeholders filled from ``environ`` (all must be set)."""
    return _PLACEHOLDER.sub(lambda m: environ[m.group(1)], base_url)


def expanded_url_problem(base_url: str, environ: Mapping[str, str]) -> str | None:
    """Why the base URL cannot be used once its ``${VAR}`` placeholders are filled in: a value
    that smuggles in credentials (``user:pass@host``, ``?key=...``) is refused like a literal
    one, since the URL is quoted in errors. None when it can be used."""
    if not _PLACEHOLDER.search(base_url):
        return None
    from freegin_gitops.core.redact import url_credentials

    credential = url_credentials(expand_url(base_url, environ))
    if credential is None:
        return None
    names = ", ".join(f"${{{v}}}" for v in url_variables(base_url))
    return (
        f"the base URL would carry credentials ({credential}) once {names} is filled in; "
        "keys go only in the variable named by api_key_env"
    )
