"""The words of a refresh: its branch names, the system prompt it asks with, and the message of
the commit it writes, with the trailer that records what refresh wrote: a commit is refresh's to
replace only while its tree and message are still exactly those (:func:`made_by_refresh`)."""

from __future__ import annotations

import hashlib

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
        (len(report.limit_corrections), "limit correction"),
    ]
    return ", ".join(_plural(n, word) for n, word in parts if n) or "no changes"


_FLAGS = {True: "listed", False: "not listed", None: "unverified"}
_HEADINGS: tuple[tuple[LifecycleChange, str], ...] = (
    ("deprecate", "Deprecations"),
    ("retire", "Retirements"),
    ("reactivate", "Active again"),
)


def commit_message(report: RefreshReport, tree: str) -> str:
    """The message of a refresh commit: what it suggests, deprecates, retires and re-activates,
    and its trailer, which records the ``tree`` the commit has and a digest of the message above
    it (see :func:`made_by_refresh`)."""
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
    if report.limit_corrections:
        lines += ["", "Limit corrections:"]
        lines += [
            f"- {c.where}: {c.key} {c.catalog} -> {c.reported} ({'; '.join(c.evidence)})"
            for c in report.limit_corrections
        ]
    body = "\n".join(lines)
    trailer = f"{TRAILER}: {trailer_value(report)} tree={tree} message={_digest(body)}"
    return f"{body}\n\n{trailer}\n"


def _digest(body: str) -> str:
    return hashlib.sha256(body.rstrip().encode("utf-8", "surrogateescape")).hexdigest()[:16]


def trailer_value(report: RefreshReport) -> str:
    """``<scope> <digest>``: says what a refresh commit proposes (its trailer's first words)."""
    return f"{report.scope} {report.digest()[:16]}"


def _trailer_line(message: str) -> int | None:
    for index, line in enumerate(message.splitlines()):
        if line.startswith(f"{TRAILER}: "):
            return index
    return None


def refresh_trailer(message: str) -> str | None:
    """The value of a commit message's refresh trailer, or None if it has none."""
    index = _trailer_line(message)
    if index is None:
        return None
    return message.splitlines()[index][len(TRAILER) + 2 :].strip()


def proposal_of(message: str) -> str | None:
    """What a refresh commit proposes, ``<scope> <digest>`` (its trailer without the fields)."""
    value = refresh_trailer(message)
    if value is None:
        return None
    return " ".join(word for word in value.split() if "=" not in word)


def is_refresh_commit(message: str) -> bool:
    """Whether a commit with ``message`` claims to be a refresh's (its trailer says so). A claim
    only: :func:`made_by_refresh` says whether the commit is still what refresh wrote."""
    return refresh_trailer(message) is not None


def made_by_refresh(message: str, tree: str) -> bool:
    """Whether a commit with ``message`` and ``tree`` is exactly what refresh wrote: its trailer
    records that tree and the digest of the message above it. A person who amends the commit
    (files or message), even keeping the trailer, makes it theirs, and refresh leaves it alone."""
    index = _trailer_line(message)
    if index is None:
        return False
    line = message.splitlines()[index]  # "Freegin-Refresh: <scope> <digest> tree=... message=..."
    fields = dict(word.split("=", 1) for word in line.split() if "=" in word)
    body = "\n".join(message.splitlines()[:index])
    return fields.get("tree") == tree and fields.get("message") == _digest(body)
