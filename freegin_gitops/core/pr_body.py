"""The pull request a refresh opens: its title and its markdown body, rendered from a report.

Model ids, rationale, cost, speed and skip reasons come from an LLM, and error texts may quote a
provider: all of it goes through :func:`inline_text`, which turns it into one line of inert text.
GitHub renders a body's markdown, raw HTML, ``@mentions``, ``#123`` references and bare URLs, so
every character that could start one of those is written as an HTML character reference, and
mentions, references and autolinks are broken with a zero-width space (as Dependabot and Renovate
do): GitHub finds mentions in the rendered text, where character references are already decoded.

Output depends only on the report: no clock, no environment.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from freegin_gitops.core.refresh_model import (
    ProviderRefresh,
    RefreshReport,
    RetirementProposal,
    SuggestionChange,
)
from freegin_gitops.core.usage import UsageStats

MAX_TEXT = 300
# GitHub refuses bodies over 65,536 characters; keep a margin.
MAX_BODY = 60_000
PR_LABELS = ("freegin-ai", "model-refresh")

_ZWSP = "&#8203;"
_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "|": "&#124;",
        "\\": "&#92;",
        "`": "&#96;",
        "[": "&#91;",
        "]": "&#93;",
        "(": "&#40;",
        ")": "&#41;",
        "!": "&#33;",
        "*": "&#42;",
        "_": "&#95;",
        "~": "&#126;",
        "@": "&#64;" + _ZWSP,
        "#": "&#35;" + _ZWSP,
    }
)
_AUTOLINK = re.compile(r"(?i)://|\bwww\.|\bgh-(?=\d)")
_MARKER = re.compile(r"<!-- freegin-ai:refresh scope=(?P<scope>\S+) digest=(?P<digest>[0-9a-f]{64}) -->")
_VERIFIED = {True: "✅ verified", False: "❌ not listed", None: "❔ unknown"}
_NONE = "—"


def _one_line(text: str, limit: int) -> str:
    """``text`` with whitespace of any kind collapsed to single spaces and invisible or control
    characters (bidi overrides, zero-width characters, lone surrogates) dropped; reading stops
    once more than ``limit`` characters are kept, so huge texts cost no more than short ones."""
    kept: list[str] = []
    pending_space = False
    for ch in text:
        category = unicodedata.category(ch)
        if ch.isspace() or category in ("Cc", "Zl", "Zp"):
            pending_space = bool(kept)
        elif category not in ("Cf", "Cs"):
            if pending_space:
                kept.append(" ")
                pending_space = False
            kept.append(ch)
            if len(kept) > limit:
                break
    return "".join(kept)


def _break_autolink(match: re.Match[str]) -> str:
    found = match[0]
    return f"{found[:-1]}{_ZWSP}{found[-1]}" if found != "://" else f":{_ZWSP}//"


def inline_text(text: str | None, limit: int = MAX_TEXT) -> str:
    """``text`` as one line of inert markdown, cut to ``limit`` characters with an ellipsis;
    safe inside a table cell, a list item or a heading. Empty or missing text gives a dash."""
    line = _one_line(text or "", limit)
    if not line:
        return _NONE
    if len(line) > limit:
        line = line[: max(1, limit - 1)].rstrip() + "…"
    escaped = line.translate(_ESCAPES)
    return _AUTOLINK.sub(_break_autolink, escaped)


def _safe_scope(scope: str) -> str:
    return re.sub(r"[^A-Za-z0-9._/-]", "_", scope) or "_"


def marker(report: RefreshReport) -> str:
    """The hidden comment that identifies a refresh PR and what it proposes."""
    return f"<!-- freegin-ai:refresh scope={_safe_scope(report.scope)} digest={report.digest()} -->"


def parse_marker(body: str | None) -> tuple[str, str] | None:
    """``(scope, digest)`` from the last marker in a PR body, or None when it has none."""
    found = list(_MARKER.finditer(body or ""))
    return (found[-1]["scope"], found[-1]["digest"]) if found else None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _scope_label(scope: str) -> str:
    return "all providers" if scope == "all" else _safe_scope(scope)


def pr_title(report: RefreshReport) -> str:
    """A one-line title: the scope and what the refresh proposes."""
    parts = []
    if report.changes:
        parts.append(_plural(len(report.changes), "suggestion"))
    if report.retirements:
        parts.append(_plural(len(report.retirements), "retirement"))
    counts = ", ".join(parts) or "no changes"
    return f"freegin-ai: refresh models for {_scope_label(report.scope)} ({counts})"


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    return [_row(header), _row("---" for _ in header), *(_row(r) for r in rows)]


def _intro(report: RefreshReport, limit: int) -> list[str]:
    changes = report.changes
    added = sum(c.action == "added" for c in changes)
    return [
        f"## Model catalog refresh: {inline_text(_scope_label(report.scope), limit)}",
        "",
        "`freegin-ai refresh-models` asked an LLM for better free-tier models for each workload, "
        "checked every recommendation against the provider's own model list and wrote the result "
        f"to branch **{inline_text(report.branch, limit)}**, "
        f"based on **{inline_text(report.base, limit)}**.",
        "",
        f"It proposes **{added}** new and **{len(changes) - added}** updated suggestion(s), "
        f"and **{len(report.retirements)}** retirement(s).",
        "",
        "Model ids, rationale, cost and speed are the LLM's words, shown as plain text: check them "
        "before adopting. Verified: ✅ the provider lists the model, ❌ it does not (misspelt, "
        "retired or not available to this key), ❔ the list could not be fetched.",
        "",
        "### How to review",
        "",
        "Merging records the suggestions as *pending* and retires the models under "
        "*Proposed retirements*. Then, for each suggestion:",
        "",
        "- adopt it: `freegin-ai adopt-model PROVIDER MODEL --workload W --commit`",
        "- or reject it for good: "
        "`freegin-ai reject-model PROVIDER MODEL --workload W --reason TEXT --commit`",
        "",
        "To keep a model proposed for retirement, drop its change from this branch before merging. "
        "Running the refresh again updates this pull request.",
    ]


def _prompts(report: RefreshReport, limit: int) -> list[str]:
    def answered(p: ProviderRefresh) -> str:
        if p.answered_by is None:
            return _NONE
        return inline_text(f"{p.answered_by.provider}/{p.answered_by.model}", limit)

    def model_list(p: ProviderRefresh) -> str:
        if p.model_list == "fetched":
            return "✅ fetched"
        why = f": {inline_text(p.model_list_error, limit)}" if p.model_list_error else ""
        return f"⚠️ unavailable{why}"

    rows = [
        (
            inline_text(p.provider, limit),
            answered(p),
            model_list(p),
            str(len(p.changes)),
            str(len(p.retirements)),
            str(len(p.skipped)),
        )
        for p in report.providers
    ]
    header = ("Provider", "Answered by", "Model list", "Suggestions", "Retirements", "Skipped")
    return ["### Refresh prompts", "", *_table(header, rows)]


def _failures(report: RefreshReport, limit: int) -> list[str]:
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


def _change_row(c: SuggestionChange, limit: int) -> tuple[str, ...]:
    return (
        inline_text(c.model, limit),
        inline_text(c.workload, limit),
        "🆕 added" if c.action == "added" else "🔁 updated",
        _VERIFIED[c.verified],
        inline_text(c.cost, limit),
        inline_text(c.speed, limit),
        inline_text(c.rationale, limit),
    )


def _suggestions(report: RefreshReport, limit: int) -> list[str]:
    lines: list[str] = []
    header = ("Model", "Workload", "Change", "Verified", "Cost", "Speed", "Rationale")
    for p in report.providers:
        if p.changes:
            lines += ["", f"### Suggestions for {inline_text(p.provider, limit)}", ""]
            lines += _table(header, (_change_row(c, limit) for c in p.changes))
    return lines


def _ms(value: float | None) -> str:
    return _NONE if value is None else f"{round(value):,} ms"


def _usage_cells(stats: UsageStats | None, limit: int) -> tuple[str, ...]:
    if stats is None or not stats.calls:
        return ("0", _NONE, _NONE, _NONE, inline_text(stats.last_used if stats else None, limit))
    rate = stats.success_rate
    return (
        f"{stats.calls:,}",
        _NONE if rate is None else f"{rate * 100:.1f}%",
        _ms(stats.mean_latency_ms),
        _ms(stats.p95_latency_ms),
        inline_text(stats.last_used, limit),
    )


def _usage_of(p: ProviderRefresh, r: RetirementProposal, workload: str) -> UsageStats | None:
    return r.usage.get(workload) or p.usage.get((r.model, workload))


def _retirements(report: RefreshReport, limit: int) -> list[str]:
    pairs = [(p, r) for p in report.providers for r in p.retirements]
    if not pairs:
        return []
    proposals = [
        (
            inline_text(p.provider, limit),
            inline_text(r.model, limit),
            inline_text(", ".join(r.workloads), limit),
            inline_text(r.reason, limit),
        )
        for p, r in pairs
    ]
    usage = [
        (
            inline_text(p.provider, limit),
            inline_text(r.model, limit),
            inline_text(w, limit),
            *_usage_cells(_usage_of(p, r, w), limit),
        )
        for p, r in pairs
        for w in r.workloads
    ]
    usage_header = (
        "Provider",
        "Model",
        "Workload",
        "Calls",
        "Success rate",
        "Mean latency",
        "p95 latency",
        "Last used",
    )
    return [
        "",
        "### Proposed retirements",
        "",
        "These active models are missing from their provider's model list; merging retires them.",
        "",
        *_table(("Provider", "Model", "Workloads", "Reason"), proposals),
        "",
        "Usage recorded by the router, which informed these proposals:",
        "",
        *_table(usage_header, usage),
    ]


def _skipped(report: RefreshReport, limit: int) -> list[str]:
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
        f"<summary>Skipped recommendations ({len(skipped)})</summary>",
        "",
        *items,
        "",
        "</details>",
    ]


def _render(report: RefreshReport, limit: int) -> list[str]:
    return [
        *_intro(report, limit),
        "",
        *_prompts(report, limit),
        *_failures(report, limit),
        *_suggestions(report, limit),
        *_retirements(report, limit),
        *_skipped(report, limit),
    ]


_CLOSE_DETAILS = ["", "</details>"]
_CUT_NOTE = "*This description was cut to fit GitHub's limit; the branch's commit lists it all.*"


def _cut(lines: list[str], budget: int) -> list[str]:
    """Whole lines, any ``<details>`` left open closed, and a note saying so: as many lines as
    fit in ``budget`` characters with what follows them (every line counts its newline)."""
    ending = len(_CUT_NOTE) + 2  # "" and the note
    per_open = sum(len(t) + 1 for t in _CLOSE_DETAILS)
    kept: list[str] = []
    size = 0
    open_details = 0
    for line in lines:
        opened = open_details + (line == "<details>") - (line == "</details>")
        if size + len(line) + 1 + opened * per_open + ending > budget:
            break
        kept.append(line)
        size += len(line) + 1
        open_details = opened
    return [*kept, *(_CLOSE_DETAILS * open_details), "", _CUT_NOTE]


def render_pr_body(report: RefreshReport, max_chars: int = MAX_BODY) -> str:
    """The markdown body of the refresh PR, ending with the hidden :func:`marker`.

    Texts are cut to :data:`MAX_TEXT` characters; a body still longer than ``max_chars`` is
    rendered again with shorter texts, then cut at a line boundary.
    """
    tail = ["", marker(report), ""]
    budget = max_chars - len("\n".join(tail))  # each line of ``lines`` counts its own newline
    lines: list[str] = []
    for limit in (MAX_TEXT, 120, 40):
        lines = _render(report, limit)
        if sum(len(line) + 1 for line in lines) <= budget:
            break
    else:
        lines = _cut(lines, budget)
    return "\n".join([*lines, *tail])
