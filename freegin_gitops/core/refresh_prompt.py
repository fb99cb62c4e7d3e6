"""The refresh prompt: a reviewed template file filled with the provider's catalog context."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from string import Template

from freegin_gitops.core.catalog import Provider, Workload
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


def render_prompt(
    template: str,
    provider: Provider,
    workloads: Sequence[Workload],
    stats: Mapping[UsageKey, UsageStats],
    per_workload: int,
    today: dt.date,
) -> str:
    """The prompt asking for recommendations for ``provider`` and ``workloads``."""
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
                {"model": "<model id>", "reason": "<why>", "cost": "free-quota", "speed": "fast"}
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
    )
