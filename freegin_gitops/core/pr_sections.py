"""The sections of a refresh pull request's body, each a function of the report and of the length
texts are cut to, returning its lines (none when it has nothing to say).

Everything that comes from an LLM or a provider goes through :func:`inline_text`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from freegin_gitops.core.pr_markdown import NONE, inline_text, table
from freegin_gitops.core.refresh_model import (
    LifecycleProposal,
    ProviderRefresh,
    RefreshReport,
    SuggestionChange,
)
from freegin_gitops.core.usage import UsageStats


def safe_scope(scope: str) -> str:
    """A refresh scope with nothing but id characters (it goes into a comment and headings)."""
    return re.sub(r"[^A-Za-z0-9._/-]", "_", scope) or "_"


def scope_label(scope: str) -> str:
    """``all providers``, or the provider id made safe."""
    return "all providers" if scope == "all" else safe_scope(scope)


def _heading(title: str, *intro: str) -> list[str]:
    return ["", f"### {title}", "", *(line for text in intro for line in (text, ""))]


def summary(report: RefreshReport, limit: int) -> list[str]:
    changes = report.changes
    added = sum(c.action == "added" for c in changes)
    proposes = (
        f"It proposes **{added}** new and **{len(changes) - added}** updated suggestion(s), "
        f"**{len(report.deprecations)}** deprecation(s), **{len(report.retirements)}** "
        f"retirement(s) and **{len(report.reactivations)}** model(s) active again."
    )
    if report.limit_corrections:
        proposes += (
            f" It also corrects **{len(report.limit_corrections)}** catalog limit(s) that the "
            "provider's rate-limit headers contradict."
        )
    return [
        f"## Model catalog refresh: {inline_text(scope_label(report.scope), limit)}",
        "",
        "`freegin-ai refresh-models` fetched each provider's model list, asked an LLM to choose "
        "better free-tier models for each workload among those listed, checked every answer "
        "against the list and the workload's constraints, and wrote the result to branch "
        f"**{inline_text(report.branch, limit)}**, based on **{inline_text(report.base, limit)}**.",
        "",
        proposes,
        "",
        "Model ids, rationale, cost and speed are the LLM's words, shown as plain text: check them "
        "before adopting.",
    ]


def _list_cell(p: ProviderRefresh, limit: int) -> str:
    if p.model_list == "fetched":
        held = "✅ fetched" if p.listed is None else f"✅ {p.listed} model(s)"
        return f"⚠️ suspect ({held[2:]}): {inline_text(p.suspect, limit)}" if p.suspect else held
    why = f": {inline_text(p.model_list_error, limit)}" if p.model_list_error else ""
    return f"❔ unavailable{why}"


def providers(report: RefreshReport, limit: int) -> list[str]:
    def answered(p: ProviderRefresh) -> str:
        if p.failure:
            return "❌ failed"
        if p.answered_by is None:
            return "the saved answer"
        return inline_text(f"{p.answered_by.provider}/{p.answered_by.model}", limit)

    rows = [
        (
            inline_text(p.provider, limit),
            answered(p),
            _list_cell(p, limit),
            str(len(p.changes)),
            str(len(p.unlisted)),
            str(len(p.lifecycle)),
            str(len(p.skipped)),
        )
        for p in report.providers
    ]
    header = ("Provider", "Answered by", "Model list", "Suggestions", "Not served", "Lifecycle", "Left out")
    return ["", "### Providers", "", *table(header, rows)] if rows else []


def skipped_providers(report: RefreshReport, limit: int) -> list[str]:
    items = [
        f"- {inline_text(s.provider, limit)}: skipped: {inline_text(s.reason, limit)}" for s in report.skipped
    ]
    if not items:
        return []
    intro = (
        "A provider whose key is not set is left out of a refresh of all providers (nothing could be "
        "verified); name it to refresh it anyway."
    )
    return [*_heading(f"Providers left out ({len(items)})", intro), *items]


def failures(report: RefreshReport, limit: int) -> list[str]:
    failed = report.failed
    if not failed:
        return []
    return [
        "",
        f"### ⚠️ Providers that could not be refreshed ({len(failed)})",
        "",
        "Nothing of theirs is in this pull request; the next refresh tries them again.",
        "",
        *(f"- {inline_text(p.provider, limit)}: {inline_text(p.failure, limit)}" for p in failed),
    ]


def suspect(report: RefreshReport, limit: int) -> list[str]:
    items = [
        f"- {inline_text(p.provider, limit)}: {inline_text(p.suspect, limit)}"
        for p in report.providers
        if p.suspect
    ]
    if not items:
        return []
    intro = (
        "These lists look wrong (a wrong endpoint, a partial answer, a key that sees another tier), "
        "so nothing was deprecated, retired or re-activated for these providers' models. Check "
        "`GET /models` by hand; suggestions were still checked against the list."
    )
    return [*_heading("Suspect model lists", intro), *items]


def _listed_cell(c: SuggestionChange) -> str:
    if c.verified is None:
        return "❔ list unavailable"
    if not c.verified:
        return "❌ not listed (kept by --keep-unlisted)"
    return f"✅ since {c.listed_since.isoformat()}" if c.listed_since else "✅ listed"


def _change_row(c: SuggestionChange, limit: int) -> tuple[str, ...]:
    return (
        inline_text(c.model, limit),
        inline_text(c.workload, limit),
        "🆕 added" if c.action == "added" else "🔁 updated",
        _listed_cell(c),
        f"{c.context_window:,}" if c.context_window else NONE,
        inline_text(c.cost, limit),
        inline_text(c.speed, limit),
        inline_text(c.rationale, limit),
    )


def suggestions(report: RefreshReport, limit: int) -> list[str]:
    lines: list[str] = []
    header = (
        "Model",
        "Workload",
        "Change",
        "Listed by the provider",
        "Context",
        "Cost",
        "Speed",
        "Rationale",
    )
    for p in report.providers:
        if p.changes:
            lines += ["", f"### Suggestions for {inline_text(p.provider, limit)}", ""]
            lines += table(header, (_change_row(c, limit) for c in p.changes))
    return lines


def not_served(report: RefreshReport, limit: int) -> list[str]:
    unlisted = report.unlisted
    if not unlisted:
        return []
    intro = (
        "The LLM recommended these models, but the provider's model list does not hold them "
        "(misspelt, retired, not available to this key, or invented): they were not written. "
        "`refresh-models --keep-unlisted` keeps them as pending suggestions with `verified: false`."
    )
    rows = [
        (
            inline_text(u.provider, limit),
            inline_text(u.model, limit),
            inline_text(u.workload, limit),
            inline_text(u.rationale, limit),
        )
        for u in unlisted
    ]
    return [
        *_heading("Not served by the provider", intro),
        *table(("Provider", "Model", "Workload", "Rationale"), rows),
    ]


def _since(day: object, days: int | None) -> str:
    if day is None:
        return NONE
    if days is None:
        return str(day)
    return f"{day} (today)" if days == 0 else f"{day} ({days} day{'' if days == 1 else 's'})"


def _lifecycle_rows(
    pairs: Sequence[tuple[ProviderRefresh, LifecycleProposal]], limit: int
) -> list[tuple[str, ...]]:
    return [
        (
            inline_text(p.provider, limit),
            inline_text(r.model, limit),
            inline_text(", ".join(r.workloads), limit),
            _since(r.deprecated, None) if r.change != "deprecate" else NONE,
            _since(r.missing_since, r.missing_days) if r.change != "reactivate" else NONE,
            inline_text(r.successor, limit),
            inline_text(r.reason, limit),
        )
        for p, r in pairs
    ]


_LIFECYCLE = (
    (
        "deprecate",
        "Proposed deprecations",
        "These active models are missing from their provider's model list. Merging deprecates them: "
        "the router still uses them, after every active model of the workload, and a later refresh "
        "retires them if they are still missing after the grace period.",
    ),
    (
        "retire",
        "Proposed retirements",
        "These deprecated models are still missing after the grace period; merging retires them "
        "(they stay in the file, for history).",
    ),
    (
        "reactivate",
        "Active again",
        "These models were deprecated because they went missing; the provider lists them again, "
        "so merging makes them active again.",
    ),
)


def _ms(value: float | None) -> str:
    return NONE if value is None else f"{round(value):,} ms"


def _usage_cells(stats: UsageStats | None, limit: int) -> tuple[str, ...]:
    if stats is None or not stats.calls:
        return ("0", NONE, NONE, NONE, inline_text(stats.last_used if stats else None, limit))
    rate = stats.success_rate
    return (
        f"{stats.calls:,}",
        NONE if rate is None else f"{rate * 100:.1f}%",
        _ms(stats.mean_latency_ms),
        _ms(stats.p95_latency_ms),
        inline_text(stats.last_used, limit),
    )


_USAGE_HEADER = (
    "Provider",
    "Model",
    "Workload",
    "Calls",
    "Success rate",
    "Mean latency",
    "p95 latency",
    "Last used",
)


def _usage_of(p: ProviderRefresh, r: LifecycleProposal, workload: str) -> UsageStats | None:
    return r.usage.get(workload) or p.usage.get((r.model, workload))


def lifecycle(report: RefreshReport, limit: int) -> list[str]:
    lines: list[str] = []
    header = ("Provider", "Model", "Workloads", "Deprecated", "Missing since", "Successor", "Reason")
    for change, title, intro in _LIFECYCLE:
        pairs = [(p, r) for p in report.providers for r in p.lifecycle if r.change == change]
        if pairs:
            lines += [*_heading(title, intro), *table(header, _lifecycle_rows(pairs, limit))]
            orphans = [
                f"- {inline_text(r.provider, limit)}/{inline_text(o, limit)} no longer names "
                f"{inline_text(r.model, limit)} as its successor (it is not active any more)"
                for _, r in pairs
                for o in r.orphans
            ]
            lines += ["", *orphans] if orphans else []
    leaving = [(p, r) for p in report.providers for r in p.lifecycle if r.change != "reactivate"]
    if leaving:
        usage = [
            (
                inline_text(p.provider, limit),
                inline_text(r.model, limit),
                inline_text(w, limit),
                *_usage_cells(_usage_of(p, r, w), limit),
            )
            for p, r in leaving
            for w in r.workloads
        ]
        lines += [
            "",
            "Usage recorded by the router for the models leaving:",
            "",
            *table(_USAGE_HEADER, usage),
        ]
    return lines


def skipped(report: RefreshReport, limit: int) -> list[str]:
    skipped = [s for p in report.providers for s in p.skipped]
    if not skipped:
        return []
    items = [
        f"- {inline_text(s.provider, limit)} · {inline_text(s.workload, limit)} · "
        f"{inline_text(s.model, limit)}: {inline_text(s.why, limit)}"
        for s in skipped
    ]
    return [
        "",
        "<details>",
        f"<summary>Recommendations left out ({len(skipped)})</summary>",
        "",
        *items,
        "",
        "</details>",
    ]


def how_to_decide(report: RefreshReport, limit: int) -> list[str]:
    return [
        *_heading(
            "How to decide",
            "Merging records the suggestions as *pending* and applies the lifecycle changes above; "
            "to keep a model this branch deprecates or retires, drop its change before merging. "
            "Then, on the branch or after merging:",
        ),
        "- adopt a suggestion: `freegin-ai adopt-model PROVIDER MODEL --workload W --commit`",
        "- reject it for good: `freegin-ai reject-model PROVIDER MODEL --workload W --reason TEXT --commit`",
        "- name the model that replaces a deprecated one: "
        "`freegin-ai deprecate-model PROVIDER MODEL --successor M --commit`",
        "",
        "Running the refresh again updates this pull request.",
    ]
