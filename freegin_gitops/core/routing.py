"""Candidate ordering: which provider/model pairs a routed call tries, in which order.

1. ``--provider`` with ``--model`` names exactly one candidate, in the catalog or not.
2. ``--provider`` alone keeps only that provider's candidates (``--model`` alone: that model's).
3. Otherwise the active catalog models, then the deprecated ones (still served, on their way
   out: after every active model of the workload), then pending suggestions if
   ``include_pending``; each list in the compiled order: providers in ``routing.provider_order``,
   the rest alphabetically; within a provider, catalog order.
4. If that leaves nothing: the ``config.yaml`` defaults for the workload.
5. If there are none either: the pending suggestions.

Selection does no I/O and, without filters, returns tuples built once per workload, so it costs
the same for a catalog of ten models as for one of twenty thousand.
"""

from __future__ import annotations

from collections.abc import Sequence

from freegin_gitops.core.compiled_catalog import Candidate, CompiledCatalog
from freegin_gitops.core.naming import did_you_mean
from freegin_gitops.errors import NotFound


def _keep(
    catalog: CompiledCatalog, workload: str, which: str, provider: str | None, model: str | None
) -> Sequence[Candidate]:
    lists = catalog.candidates(workload)
    assert lists is not None
    if provider is not None:  # with a model too, select_candidates made it an override
        return catalog.of_provider(workload, which, provider)
    candidates: Sequence[Candidate] = getattr(lists, which)
    return candidates if model is None else tuple(c for c in candidates if c.model == model)


def select_candidates(
    catalog: CompiledCatalog,
    workload: str,
    provider: str | None = None,
    model: str | None = None,
) -> Sequence[Candidate]:
    """The ordered candidates for ``workload`` (rules 1-5 above)."""
    lists = catalog.candidates(workload)
    if lists is None:
        raise NotFound(f"unknown workload {workload!r}{did_you_mean(workload, catalog.workload_names())}")
    if provider is not None and model is not None:
        return (Candidate(provider, model, "override"),)
    if provider is not None and catalog.provider(provider) is None:
        raise NotFound(f"unknown provider {provider!r}{did_you_mean(provider, catalog.provider_ids())}")
    primary = _keep(catalog, workload, "active", provider, model)
    deprecated = _keep(catalog, workload, "deprecated", provider, model)
    if deprecated:
        primary = (*primary, *deprecated)
    if catalog.include_pending:
        pending = _keep(catalog, workload, "pending", provider, model)
        if pending:
            primary = (*primary, *pending)
    if primary:
        return primary
    defaults = _keep(catalog, workload, "defaults", provider, model)
    if defaults:
        return defaults
    return _keep(catalog, workload, "pending", provider, model)
