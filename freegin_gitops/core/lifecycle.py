"""Lifecycle proposals from a provider's model list: ``active`` → ``deprecated`` → ``retired``.

Free tiers drop models without notice, and a list that is wrong for one day must not retire half
a catalog, so nothing is retired at once:

- an active model the list does not hold is proposed *deprecated* (still routed to, after every
  active model of its workloads), with the day it went missing;
- a deprecated model still missing ``grace_days`` after it was deprecated is proposed *retired*;
- a model deprecated because it went missing (it has ``missing_since``) that the list holds again
  is proposed *active* again. A model someone deprecated by hand stays deprecated.

A list that holds none of the provider's active models, or would deprecate more than half of
them, is *suspect* (a wrong endpoint, a partial answer, a key that sees another tier): nothing is
proposed for that provider's models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, replace

from freegin_gitops.core.catalog import ModelEntry, Provider
from freegin_gitops.core.model_list import ModelList
from freegin_gitops.core.refresh_model import LifecycleChange, LifecycleProposal
from freegin_gitops.core.usage import UsageKey, UsageStats


@dataclass(frozen=True, slots=True)
class LifecycleOutcome:
    proposals: tuple[LifecycleProposal, ...] = ()
    suspect: str | None = None  # why the list is not trusted: then nothing is proposed


def suspicion(provider: Provider, listed: ModelList) -> str | None:
    """Why ``listed`` is not trusted for ``provider``'s models, or None."""
    if not len(listed):
        return "the list is empty"
    active = [m for m in provider.models if m.active]
    if not active:
        return None
    missing = [m for m in active if m.id not in listed]
    if len(missing) == len(active):
        return f"it holds none of the provider's {len(active)} active model(s)"
    if 2 * len(missing) > len(active):
        return (
            f"it would deprecate {len(missing)} of the provider's {len(active)} active models "
            "(more than half)"
        )
    return None


def _usage(provider: str, model: ModelEntry, stats: Mapping[UsageKey, UsageStats]) -> dict[str, UsageStats]:
    return {w: stats[(provider, model.id, w)] for w in model.workloads if (provider, model.id, w) in stats}


def _proposal(
    provider: Provider,
    model: ModelEntry,
    change: LifecycleChange,
    reason: str,
    stats: Mapping[UsageKey, UsageStats],
    today: dt.date,
    missing_since: dt.date | None = None,
) -> LifecycleProposal:
    since = missing_since if missing_since is not None else model.missing_since
    return LifecycleProposal(
        provider=provider.id,
        model=model.id,
        change=change,
        workloads=model.workloads,
        reason=reason,
        deprecated=model.deprecated,
        missing_since=since if change != "reactivate" else model.missing_since,
        missing_days=(today - since).days if since is not None and change != "reactivate" else None,
        successor=model.successor,
        usage=_usage(provider.id, model, stats),
    )


def propose_lifecycle(
    provider: Provider,
    listed: ModelList | None,
    today: dt.date,
    stats: Mapping[UsageKey, UsageStats],
    grace_days: int,  # refresh.grace_days (RefreshSettings holds the documented default)
) -> LifecycleOutcome:
    """The deprecations, retirements and reactivations ``listed`` leads to (none without a list,
    none when the list is suspect)."""
    if listed is None:
        return LifecycleOutcome()
    suspect = suspicion(provider, listed)
    if suspect is not None:
        return LifecycleOutcome(suspect=suspect)
    where = f"{provider.id}'s model list (GET /models)"
    proposals: list[LifecycleProposal] = []
    for model in provider.models:
        present = model.id in listed
        if model.status == "active" and not present:
            reason = f"not in {where} on {today.isoformat()}"
            proposals.append(_proposal(provider, model, "deprecate", reason, stats, today, today))
        elif model.status == "deprecated" and not present and model.deprecated is not None:
            days = (today - model.deprecated).days
            if days >= grace_days:
                reason = (
                    f"not in {where} on {today.isoformat()}, deprecated since "
                    f"{model.deprecated.isoformat()} ({days} days; grace period {grace_days} days)"
                )
                proposals.append(_proposal(provider, model, "retire", reason, stats, today))
        elif model.status == "deprecated" and present and model.missing_since is not None:
            reason = f"in {where} again on {today.isoformat()}"
            proposals.append(_proposal(provider, model, "reactivate", reason, stats, today))
    return LifecycleOutcome(_with_orphans(provider, proposals))


def _with_orphans(provider: Provider, proposals: list[LifecycleProposal]) -> tuple[LifecycleProposal, ...]:
    """Each deprecation or retirement with the models that stay deprecated and name it successor."""
    moving = {p.model for p in proposals if p.change in ("retire", "reactivate")}
    staying = [m for m in provider.models if m.status == "deprecated" and m.id not in moving and m.successor]
    out = []
    for p in proposals:
        orphans = tuple(m.id for m in staying if m.successor == p.model) if p.change != "reactivate" else ()
        out.append(replace(p, orphans=orphans) if orphans else p)
    return tuple(out)
