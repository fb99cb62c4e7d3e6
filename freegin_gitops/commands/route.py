"""``freegin-ai route``: the candidates a routed call would try, and why; calls nothing."""

from __future__ import annotations

from freegin_gitops.cli.options import GlobalOptions
from freegin_gitops.cli.output import emit, emit_json, table
from freegin_gitops.services.repo import resolve_repo
from freegin_gitops.services.routing_session import open_router


def run(
    options: GlobalOptions,
    workload: str,
    provider: str | None,
    model: str | None,
    ref: str | None,
    show_all: bool,
    as_json: bool,
) -> int:
    repo = resolve_repo(options.repo)
    with open_router(repo, ref, options.db, create_db=False) as router:
        plan = router.plan(workload, provider, model, show_all=show_all)
    catalog = router.catalog
    rows = [
        {
            "rank": i,
            "provider": e.candidate.provider,
            "model": e.candidate.model,
            "origin": e.candidate.origin,
            "usable": e.usable,
            "skip_reason": e.skip,
        }
        for i, e in enumerate(plan.entries, start=1)
    ]
    if as_json:
        emit_json(
            {
                "workload": workload,
                "catalog": {
                    "content_sha256": catalog.content_sha256,
                    "ref": ref,
                    "commit": catalog.commit if ref else None,
                },
                "max_attempts": catalog.max_attempts,
                "candidates": rows,
                "not_reached": plan.not_reached,
            }
        )
        return 0
    cells = [
        [
            str(r["rank"]),
            str(r["provider"]),
            str(r["model"]),
            str(r["origin"]),
            "will try" if r["usable"] else f"skipped: {r['skip_reason']}",
        ]
        for r in rows
    ]
    source = f"ref {ref} ({catalog.commit[:12]})" if ref and catalog.commit else "working tree"
    emit(f"workload {workload}: catalog {catalog.content_sha256[:12]} from {source}\n")
    emit(table(["#", "PROVIDER", "MODEL", "ORIGIN", "STATUS"], cells) if cells else "no candidates\n")
    if plan.not_reached:
        emit(
            f"... {plan.not_reached} more candidate(s) not reached "
            f"(max_attempts {catalog.max_attempts}; --all lists them)\n"
        )
    return 0
