"""``freegin-ai route``: the candidates a routed call would try, and why; calls nothing."""

from __future__ import annotations

from collections.abc import Sequence

from freegin_gitops.commands.common import catalog_repo
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.commands.output import emit, emit_json, note, table
from freegin_gitops.core.budgets import budget_cell, budget_json
from freegin_gitops.core.compiled_catalog import Candidate, CompiledCatalog
from freegin_gitops.core.route_plan import PlannedCandidate
from freegin_gitops.services.routing.session import open_router


def _why_deprecated(catalog: CompiledCatalog, candidate: Candidate) -> str | None:
    """``deprecated since 2026-11-20 (reason; successor m)``, for a deprecated candidate."""
    if candidate.origin != "deprecated":
        return None
    found = catalog.deprecation(candidate.provider, candidate.model)
    if found is None:
        return "deprecated"
    details = [d for d in (found.reason, f"successor {found.successor}" if found.successor else None) if d]
    since = f" since {found.since}" if found.since else ""
    return f"deprecated{since}" + (f" ({'; '.join(details)})" if details else "")


def _status(catalog: CompiledCatalog, entry: PlannedCandidate) -> str:
    if entry.skip is not None:
        return f"skipped: {entry.skip}"
    why = _why_deprecated(catalog, entry.candidate)
    return "will try" if why is None else f"will try, after every active model: {why}"


def _grouped_cells(
    catalog: CompiledCatalog, entries: Sequence[PlannedCandidate], with_budget: bool
) -> list[list[str]]:
    """Table rows; a run of candidates skipped for the same reason at one provider is one row.
    ``with_budget`` adds each candidate's headroom (the tightest of its budgets)."""
    cells: list[list[str]] = []
    run: list[tuple[int, PlannedCandidate]] = []

    def flush() -> None:
        if not run:
            return
        (first, entry), last = run[0], run[-1][0]
        c = entry.candidate
        model = c.model if len(run) == 1 else f"{c.model} and {len(run) - 1} more"
        rank = str(first) if len(run) == 1 else f"{first}-{last}"
        status = _status(catalog, entry)
        row = [rank, c.provider, model, c.origin, status]
        cells.append([*row, budget_cell(entry.budget)] if with_budget else row)
        run.clear()

    for rank, entry in enumerate(entries, start=1):
        previous = run[-1][1] if run else None
        same = (
            previous is not None
            and entry.skip is not None
            and previous.skip == entry.skip
            and previous.candidate.provider == entry.candidate.provider
            and previous.candidate.origin == entry.candidate.origin
        )
        if not same:
            flush()
        run.append((rank, entry))
    flush()
    return cells


def run(
    options: GlobalOptions,
    *,
    workload: str,
    provider: str | None,
    model: str | None,
    ref: str | None,
    show_all: bool,
    as_json: bool,
) -> int:
    repo = catalog_repo(options)
    with open_router(repo, ref, options.db, create_db=False) as router:
        plan = router.plan(workload, provider, model, show_all=show_all)
    if router.usage_warning:
        note(f"freegin-ai: warning: cool-downs are not known: {router.usage_warning}")
    catalog = router.catalog
    rows = [
        {
            "rank": i,
            "provider": e.candidate.provider,
            "model": e.candidate.model,
            "origin": e.candidate.origin,
            "usable": e.usable,
            "skip_reason": e.skip,
            "deprecated": _why_deprecated(catalog, e.candidate),
            "budget": budget_json(e.budget),
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
                    "commit": catalog.pinned_commit,
                },
                "max_attempts": catalog.max_attempts,
                "candidates": rows,
                "not_reached": plan.not_reached,
            }
        )
        return 0
    if ref and catalog.pinned_commit:
        source = f"ref {ref} ({catalog.pinned_commit[:12]})"
    else:
        source = "the bundled starter catalog" if repo.bundled else "the working tree"
    emit(f"workload {workload}: catalog {catalog.content_sha256[:12]} from {source}\n")
    with_budget = any(e.budget is not None for e in plan.entries)
    cells = _grouped_cells(catalog, plan.entries, with_budget)
    headers = ["#", "PROVIDER", "MODEL", "ORIGIN", "STATUS"] + (["BUDGET"] if with_budget else [])
    emit(table(headers, cells) if cells else "no candidates\n")
    if plan.not_reached:
        emit(
            f"... {plan.not_reached} more candidate(s) not reached "
            f"(max_attempts {catalog.max_attempts}; --all lists them)\n"
        )
    return 0
