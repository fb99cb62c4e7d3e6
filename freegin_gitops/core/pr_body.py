"""The pull request a refresh opens: its title and its markdown body, rendered from a report so
that a reviewer can decide from it: per suggestion the evidence (listed by the provider and since
when, context window, the LLM's rationale); per deprecation or retirement the usage figures and how
long the model has been missing; per limit correction the rate-limit headers that call for it;
what was not served, what was left out, which providers were skipped or failed and why; and how
to decide.

The body is a sequence of sections (:data:`SECTIONS`, written in
:mod:`freegin_gitops.core.pr_sections`), each a function of the report and of the length texts
are cut to, returning its lines (none when it has nothing to say): another concern adds its
section to the tuple. Model ids, rationale, cost, speed and reasons come from an LLM, and
error texts may quote a provider: all of it goes through :func:`inline_text`.

Output depends only on the report: no clock, no environment.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from freegin_gitops.core import pr_limits, pr_sections
from freegin_gitops.core.pr_markdown import MAX_TEXT, inline_text
from freegin_gitops.core.pr_sections import safe_scope, scope_label
from freegin_gitops.core.refresh_model import RefreshReport
from freegin_gitops.core.refresh_text import counts

__all__ = [
    "MAX_BODY",
    "MAX_TEXT",
    "PR_LABELS",
    "SECTIONS",
    "inline_text",
    "marker",
    "parse_marker",
    "pr_title",
    "render_pr_body",
]

# GitHub refuses bodies over 65,536 characters; keep a margin.
MAX_BODY = 60_000
PR_LABELS = ("freegin-ai", "model-refresh")

Section = Callable[[RefreshReport, int], list[str]]

_MARKER = re.compile(r"<!-- freegin-ai:refresh scope=(?P<scope>\S+) digest=(?P<digest>[0-9a-f]{64}) -->")


def marker(report: RefreshReport) -> str:
    """The hidden comment that identifies a refresh PR and what it proposes."""
    return f"<!-- freegin-ai:refresh scope={safe_scope(report.scope)} digest={report.digest()} -->"


def parse_marker(body: str | None) -> tuple[str, str] | None:
    """``(scope, digest)`` from the last marker in a PR body, or None when it has none."""
    found = list(_MARKER.finditer(body or ""))
    return (found[-1]["scope"], found[-1]["digest"]) if found else None


def pr_title(report: RefreshReport) -> str:
    """A one-line title: the scope and what the refresh proposes."""
    return f"freegin-ai: refresh models for {scope_label(report.scope)} ({counts(report)})"


SECTIONS: tuple[Section, ...] = (
    pr_sections.summary,
    pr_sections.providers,
    pr_sections.failures,
    pr_sections.skipped_providers,
    pr_sections.suspect,
    pr_sections.suggestions,
    pr_sections.not_served,
    pr_sections.lifecycle,
    pr_limits.limit_corrections,
    pr_sections.skipped,
    pr_sections.how_to_decide,
)


def _render(report: RefreshReport, limit: int, sections: Sequence[Section] = SECTIONS) -> list[str]:
    return [line for section in sections for line in section(report, limit)]


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


def render_pr_body(
    report: RefreshReport, max_chars: int = MAX_BODY, sections: Sequence[Section] = SECTIONS
) -> str:
    """The markdown body of the refresh PR, ending with the hidden :func:`marker`.

    Texts are cut to :data:`MAX_TEXT` characters; a body still longer than ``max_chars`` is
    rendered again with shorter texts, then cut at a line boundary.
    """
    tail = ["", marker(report), ""]
    budget = max_chars - len("\n".join(tail))  # each line of ``lines`` counts its own newline
    lines: list[str] = []
    for limit in (MAX_TEXT, 120, 40):
        lines = _render(report, limit, sections)
        if sum(len(line) + 1 for line in lines) <= budget:
            break
    else:
        lines = _cut(lines, budget)
    return "\n".join([*lines, *tail])
