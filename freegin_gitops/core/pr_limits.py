"""The refresh pull request's section on free-tier limits: the catalog limits the provider's
rate-limit headers contradict (proposed, with the headers as evidence), and the reported values
that disagree but cannot be told apart (reported, not proposed)."""

from __future__ import annotations

from freegin_gitops.core.pr_markdown import inline_text, table
from freegin_gitops.core.refresh_model import RefreshReport

_INTRO = (
    "The router records the `x-ratelimit-limit-*` headers providers send. These catalog limits "
    "disagree with what the provider reported; merging sets them to the reported value. A "
    "header can describe a paid tier or a temporary change: check the provider's rate-limit "
    "page, and update `limits.checked` and `notes` if you keep the change."
)
_UNRESOLVED = (
    "These reported values disagree with the catalog but say too little to correct it "
    "(nothing was changed for them):"
)


def limit_corrections(report: RefreshReport, limit: int) -> list[str]:
    corrections = report.limit_corrections
    unresolved = report.limits_unresolved
    if not corrections and not unresolved:
        return []
    lines = ["", f"### Limit corrections ({len(corrections)})", ""]
    if corrections:
        rows = [
            (
                inline_text(c.provider, limit),
                inline_text(c.model, limit) if c.model else "all models (provider `limits`)",
                f"`{c.key}`",
                f"{c.catalog:,}",
                f"{c.reported:,}",
                "<br>".join(inline_text(e, limit) for e in c.evidence),
            )
            for c in corrections
        ]
        lines += [_INTRO, "", *table(("Provider", "Model", "Limit", "Catalog", "Reported", "Evidence"), rows)]
    if unresolved:
        lines += ["", _UNRESOLVED, ""]
        lines += [
            f"- {inline_text(u.provider if u.model is None else f'{u.provider}/{u.model}', limit)}: "
            f"{inline_text(u.why, limit)}"
            for u in unresolved
        ]
    return lines
