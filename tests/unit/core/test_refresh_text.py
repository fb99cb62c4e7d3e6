"""The words of a refresh: counts, the commit message and its trailer (pure)."""

from __future__ import annotations

from freegin_gitops.core.refresh_model import (
    LifecycleProposal,
    ProviderRefresh,
    RefreshReport,
    SuggestionChange,
)
from freegin_gitops.core.refresh_text import commit_message, counts, is_refresh_commit, refresh_trailer


def report(*lifecycle: LifecycleProposal, changes: tuple[SuggestionChange, ...] = ()) -> RefreshReport:
    provider = ProviderRefresh("groq", None, "fetched", changes=changes, lifecycle=lifecycle)
    return RefreshReport("groq", "freegin/refresh/groq", "main", (provider,))


SUGGESTED = (
    SuggestionChange("groq", "chat", "new", "added", "why", True),
    SuggestionChange("groq", "code", "kept", "updated", "why", False),
    SuggestionChange("groq", "code", "blind", "added", "why", None),
)
LIFECYCLE = (
    LifecycleProposal("groq", "gone", "deprecate", ("chat",), "missing today"),
    LifecycleProposal("groq", "old", "retire", ("chat",), "missing for 30 days"),
    LifecycleProposal("groq", "back", "reactivate", ("code",), "listed again"),
)


def test_counts_name_only_what_there_is():
    assert counts(report()) == "no changes"
    assert counts(report(*LIFECYCLE, changes=SUGGESTED)) == (
        "3 suggestions, 1 deprecation, 1 retirement, 1 reactivation"
    )
    assert counts(report(LIFECYCLE[0], LIFECYCLE[0])) == "2 deprecations"
    assert counts(report(*LIFECYCLE).providers[0]) == "1 deprecation, 1 retirement, 1 reactivation"


def test_the_commit_message_lists_suggestions_and_the_lifecycle_and_ends_with_the_trailer():
    made = report(*LIFECYCLE, changes=SUGGESTED)
    message = commit_message(made)
    assert message.splitlines() == [
        "freegin-ai refresh: groq",
        "",
        "Suggestions:",
        "- groq/new for chat (added, listed)",
        "- groq/kept for code (updated, not listed)",
        "- groq/blind for code (added, unverified)",
        "",
        "Deprecations:",
        "- groq/gone: missing today",
        "",
        "Retirements:",
        "- groq/old: missing for 30 days",
        "",
        "Active again:",
        "- groq/back: listed again",
        "",
        f"Freegin-Refresh: groq {made.digest()[:16]}",
    ]
    assert is_refresh_commit(message) and refresh_trailer(message) == f"groq {made.digest()[:16]}"


def test_the_digest_changes_with_what_is_written_only():
    base = report(*LIFECYCLE, changes=SUGGESTED)
    assert base.digest() == report(*LIFECYCLE, changes=SUGGESTED).digest()
    assert base.digest() != report(*LIFECYCLE[:2], changes=SUGGESTED).digest()
    moved = LifecycleProposal("groq", "gone", "retire", ("chat",), "missing today")
    assert base.digest() != report(moved, *LIFECYCLE[1:], changes=SUGGESTED).digest()
    with_context = (SuggestionChange("groq", "chat", "new", "added", "why", True, context_window=8192),)
    assert report(changes=SUGGESTED[:1]).digest() != report(changes=with_context).digest()
