"""The refresh prompt: a reviewed template file filled with the provider's catalog context and
its live model list, so that the answer picks among models that exist."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from string import Template

from freegin_gitops.core.catalog import Provider, Workload
from freegin_gitops.core.model_list import ListedModel, PromptListing
from freegin_gitops.core.usage import UsageKey, UsageStats


def _usage(stats: UsageStats | None) -> str:
    if stats is None or not stats.calls:
        return "no calls recorded"
    parts = [
        f"{stats.calls} calls",
        f"{stats.success_rate:.0%} success" if stats.success_rate is not None else "",
    ]
    if stats.mean_latency_ms is not None:
        parts.append(f"mean {stats.mean_latency_ms:.0f} ms")
    if stats.p95_latency_ms is not None:
        parts.append(f"p95 {stats.p95_latency_ms:.0f} ms")
    if stats.last_used:
        parts.append(f"last used {stats.last_used[:10]}")
    return ", ".join(p for p in parts if p)


def _workload_line(w: Workload) -> str:
    limits = []
    if w.max_latency_ms:
        limits.append(f"answer within {w.max_latency_ms} ms")
    if w.max_cost:
        limits.append(f"cost at most {w.max_cost}")
    if w.min_context_window:
        limits.append(f"context window at least {w.min_context_window} tokens")
    line = f"- `{w.name}`: {w.description}"
    if limits:
        line += f" Constraints: {'; '.join(limits)}."
    if w.guidance:
        line += f" {' '.join(w.guidance.split())}"
    return line


def _listed_line(model: ListedModel) -> str:
    facts = [
        f"listed since {model.created.isoformat()}" if model.created else "",
        f"context {model.context_window}" if model.context_window else "",
    ]
    shown = ", ".join(f for f in facts if f)
    return f"- `{model.id}`" + (f" ({shown})" if shown else "")


def listing_text(listing: PromptListing | None, base_url: str) -> str:
    """The prompt's section on the provider's model list: the models to choose among, or why
    there are none."""
    if listing is None:
        return (
            f"The model list (GET {base_url}/models) could not be fetched, so there is none to "
            "choose from. Recommend only models you are sure this provider serves under exactly "
            "that id; each is checked against the list later, and one it does not hold is not "
            "suggested."
        )
    if not listing.shown:
        return (
            f"The provider lists {listing.total} model(s) (GET {base_url}/models) and the catalog "
            "holds every one of them already. Recommend an active model above for a workload it "
            "does not serve yet, or return an empty list."
        )
    order = "newest first" if any(m.created for m in listing.shown) else "in the provider's order"
    more = f"; {listing.omitted} more not shown" if listing.omitted else ""
    head = (
        f"{len(listing.shown)} of the {listing.new} model(s) the provider lists (GET "
        f"{base_url}/models, {listing.total} in all) that the catalog does not hold yet, "
        f"{order}{more}. Choose among these ids, exactly as written (or an active model above "
        "for a workload it does not serve yet): a model the list does not hold is not suggested."
    )
    return head + "\n\n" + "\n".join(_listed_line(m) for m in listing.shown)


def render_prompt(
    template: str,
    provider: Provider,
    workloads: Sequence[Workload],
    stats: Mapping[UsageKey, UsageStats],
    per_workload: int,
    today: dt.date,
    listing: PromptListing | None = None,
) -> str:
    """The prompt asking for recommendations for ``provider`` and ``workloads``, given what its
    model list holds (``listing``; None when the list could not be had)."""
    names = {w.name for w in workloads}
    active = []
    for model in provider.models:
        if not model.active:
            continue
        for workload in model.workloads:
            if workload in names:
                hints = model.hints
                facts = [
                    f"context {hints.context_window}" if hints.context_window else "",
                    f"speed {hints.speed}" if hints.speed else "",
                ]
                fact_text = ", ".join(f for f in facts if f)
                active.append(
                    f"- `{workload}`: `{model.id}`"
                    + (f" ({fact_text})" if fact_text else "")
                    + f"; usage: {_usage(stats.get((provider.id, model.id, workload)))}"
                )
    shape = json.dumps(
        {
            "workload": sorted(names)[0],
            "recommendations": [
                {
                    "model": "<model id from the list>",
                    "reason": "<why>",
                    "cost": "free-quota",
                    "speed": "fast",
                }
            ],
        },
        indent=2,
    )
    return Template(template).substitute(
        today=today.isoformat(),
        provider=provider.id,
        provider_name=provider.name,
        base_url=provider.api.base_url,
        workloads="\n".join(_workload_line(w) for w in workloads),
        active="\n".join(active) or "- none",
        workload_names=", ".join(sorted(names)),
        per_workload=per_workload,
        shape=shape,
        listed_models=listing_text(listing, provider.api.base_url),
    )
