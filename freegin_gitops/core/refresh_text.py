"""The words of a refresh: its branch names, the system prompt it asks with, and the message of
the commit it writes, with the trailer that marks a commit as a refresh's."""

from __future__ import annotations

from freegin_gitops.core.refresh_model import (
    LifecycleChange,
    ProviderRefresh,
    RefreshReport,
)

BRANCH_PREFIX = "freegin/refresh/"
TRAILER = "Freegin-Refresh"
SYSTEM_PROMPT = (
    "You are an expert on the free tiers of AI model providers. You answer with JSON only, "
    "exactly in the form requested."
)


def branch_name(scope: str) -> str:
    """The branch a refresh of ``scope`` (a provider id, or ``all``) writes."""
    return f"{BRANCH_PREFIX}{scope}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def counts(report: RefreshReport | ProviderRefresh) -> str:
    """``2 suggestions, 1 deprecation``: what a refresh (or one provider's part) proposes."""
    parts = [
        (len(report.changes), "suggestion"),
        (len(report.proposals("deprecate")), "deprecation"),
        (len(report.proposals("retire")), "retirement"),
        (len(report.proposals("reactivate")), "reactivation"),
    ]
    return ", ".join(_plural(n, word) for n, word in parts if n) or "no changes"


_FLAGS = {True: "listed", False: "not listed", None: "unverified"}
_HEADINGS: tuple[tuple[LifecycleChange, str], ...] = (
    ("deprecate", "Deprecations"),
    ("retire", "Retirements"),
    ("reactivate", "Active again"),
)


def commit_message(report: RefreshReport) -> str:
    """The message of a refresh commit: what it suggests, deprecates, retires and re-activates,
    and its trailer."""
    lines = [f"freegin-ai refresh: {report.scope}", ""]
    if report.changes:
        lines.append("Suggestions:")
        for c in report.changes:
            lines.append(f"- {c.provider}/{c.model} for {c.workload} ({c.action}, {_FLAGS[c.verified]})")
    for change, heading in _HEADINGS:
        proposals = report.proposals(change)
        if proposals:
            lines += ["", f"{heading}:"]
            lines += [f"- {p.provider}/{p.model}: {p.reason}" for p in proposals]
    lines += ["", f"{TRAILER}: {trailer_value(report)}"]
    return "\n".join(lines) + "\n"


def trailer_value(report: RefreshReport) -> str:
    """``<scope> <digest>``: marks a commit as a refresh's and says what it proposes."""
    return f"{report.scope} {report.digest()[:16]}"


def refresh_trailer(message: str) -> str | None:
    """The value of a commit message's refresh trailer, or None if it has none."""
    for line in message.splitlines():
        if line.startswith(f"{TRAILER}: "):
            return line[len(TRAILER) + 2 :].strip()
    return None


def is_refresh_commit(message: str) -> bool:
    """Whether a commit with ``message`` was made by refresh (its trailer says so)."""
    return refresh_trailer(message) is not None
