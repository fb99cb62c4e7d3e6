"""``GET /v1/freegin/status``: the catalog in use, the usage queue, and each candidate's state
(reachable or why not, cooling down until when, budget left)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from freegin_gitops.core.budgets import budget_json

if TYPE_CHECKING:
    from freegin_gitops.services.serve.app import GatewayService


def _iso(epoch: float) -> str:
    return dt.datetime.fromtimestamp(epoch, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def status_document(service: GatewayService, now: float) -> dict[str, Any]:
    assert service.gateway is not None
    state = service.gateway.state
    router, catalog = state.router, state.catalog
    cooldowns = router.cooldowns()
    workloads: dict[str, Any] = {}
    for workload in catalog.workload_names():
        plan = router.plan(workload, show_all=True)
        rows = []
        for entry in plan.entries:
            c = entry.candidate
            unreachable = router.unreachable(c.provider)
            held = [cooldowns.get((c.provider, c.model)), cooldowns.get((c.provider, None))]
            cooling = max((h for h in held if h is not None and h[0] > now), default=None)
            budget = entry.budget if entry.budget is not None or unreachable else router.budget(c)
            rows.append(
                {
                    "provider": c.provider,
                    "model": c.model,
                    "origin": c.origin,
                    "reachable": unreachable is None,
                    "unreachable_reason": unreachable,
                    "cooling_down_until": _iso(cooling[0]) if cooling else None,
                    "cooling_down_reason": cooling[1] if cooling else None,
                    "budget": budget_json(budget),
                    "usable": entry.skip is None,
                    "skip_reason": entry.skip,
                }
            )
        workloads[workload] = rows
    writer = service.writer
    return {
        "catalog": {
            "content_sha256": catalog.content_sha256,
            "commit": catalog.pinned_commit or catalog.commit,
            "ref": service.source.ref,
            "source": state.source,
            "loaded_at": _iso(state.loaded_at),
            "last_reload_error": service.reload_error,
        },
        "started_at": _iso(service.started),
        "usage": {
            "queued": writer.backlog if writer else 0,
            "written": writer.written if writer else 0,
            "lost": writer.lost if writer else 0,
        },
        "workloads": workloads,
    }
