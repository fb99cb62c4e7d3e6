"""The compiled catalog as the router sees it: typed, read-only, built lazily from the JSON document.

Only what a routed call needs is turned into objects, and only when first asked for, so that
loading a catalog of thousands of models costs little more than parsing its JSON. The record types
are ``NamedTuple``s rather than dataclasses: they are on the path of every routed call and of
``route``'s start-up, and a NamedTuple class is several times cheaper to create.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal, NamedTuple

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


class WorkloadCandidates(NamedTuple):
    active: tuple[Candidate, ...]
    deprecated: tuple[Candidate, ...]  # after every active one: still served, on its way out
    pending: tuple[Candidate, ...]
    defaults: tuple[Candidate, ...]


class CompiledCatalog:
    """A compiled catalog document with typed, cached accessors."""

    def __init__(self, document: Mapping[str, Any], pinned_commit: str | None = None) -> None:
        self.document = document
        self.pinned_commit = pinned_commit  # the commit of ``--ref``, when read at one
        self._providers: dict[str, ProviderApi] = {}
        self._workloads: dict[str, WorkloadCandidates] = {}
        self._by_provider: dict[tuple[str, str], dict[str, tuple[Candidate, ...]]] = {}
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

    def candidates(self, workload: str) -> WorkloadCandidates | None:
        cached = self._workloads.get(workload)
        if cached is not None:
            return cached
        raw = self.document["candidates"].get(workload)
        if raw is None:
            return None
        made = WorkloadCandidates(
            active=tuple(Candidate(c["provider"], c["model"], "catalog") for c in raw["active"]),
            # a routing view cached before deprecation existed has no list: none was deprecated
            deprecated=tuple(
                Candidate(c["provider"], c["model"], "deprecated") for c in raw.get("deprecated", ())
            ),
            pending=tuple(Candidate(c["provider"], c["model"], "pending") for c in raw["pending"]),
            defaults=tuple(Candidate(c["provider"], c["model"], "default") for c in raw["defaults"]),
        )
        self._workloads[workload] = made
        return made

    def of_provider(self, workload: str, which: str, provider: str) -> tuple[Candidate, ...]:
        """The ``which`` list (active, deprecated, pending, defaults) of ``workload`` at one provider, from an
        index built once per list."""
        index = self._by_provider.get((workload, which))
        if index is None:
            lists = self.candidates(workload)
            grouped: dict[str, list[Candidate]] = {}
            for c in getattr(lists, which) if lists is not None else ():
                grouped.setdefault(c.provider, []).append(c)
            index = self._by_provider[(workload, which)] = {p: tuple(cs) for p, cs in grouped.items()}
        return index.get(provider, ())

    def deprecation(self, provider: str, model: str) -> Deprecation | None:
        """Since when and why ``provider``/``model`` is deprecated, or None if it is not."""
        if self._deprecations is None:
            found: dict[tuple[str, str], Deprecation] = {}
            for lists in self.document["candidates"].values():
                for c in lists.get("deprecated", ()):
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
