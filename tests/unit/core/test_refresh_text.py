"""The words of a refresh: branch names, counts, the commit message and its trailer (pure)."""

from __future__ import annotations

import hashlib

from freegin_gitops.core.limit_corrections import LimitCorrection
from freegin_gitops.core.refresh_model import (
    LifecycleProposal,
    ProviderRefresh,
    RefreshReport,
    SuggestionChange,
)
from freegin_gitops.core.refresh_text import (
    BRANCH_PREFIX,
    SYSTEM_PROMPT,
    TRAILER,
    branch_name,
    commit_message,
    counts,
    is_refresh_commit,
    made_by_refresh,
    proposal_of,
    refresh_trailer,
    trailer_value,
)

TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def report(changes=(), lifecycle=()) -> RefreshReport:
    provider = ProviderRefresh("groq", None, "fetched", changes=tuple(changes), lifecycle=tuple(lifecycle))
    return RefreshReport("groq", branch_name("groq"), "main", (provider,))


def change(model: str, verified: bool | None, action: str = "added") -> SuggestionChange:
    return SuggestionChange("groq", "chat", model, action, "good", verified)  # type: ignore[arg-type]


def test_branch_names() -> None:
    assert (branch_name("groq"), branch_name("all")) == ("freegin/refresh/groq", "freegin/refresh/all")
    assert BRANCH_PREFIX == "freegin/refresh/"


def test_a_message_with_retirements_only() -> None:
    made = report(lifecycle=[LifecycleProposal("groq", "old", "retire", ("chat",), "gone")])
    assert commit_message(made, TREE).startswith("freegin-ai refresh: groq\n\n\nRetirements:\n")
    assert "Suggestions:" not in commit_message(made, TREE)


def test_an_empty_report_has_the_subject_and_trailer_only() -> None:
    made = report()
    assert commit_message(made, TREE).startswith(
        f"freegin-ai refresh: groq\n\n\n{TRAILER}: {trailer_value(made)} tree="
    )


def test_the_trailer_names_the_scope_and_a_digest_of_the_proposal() -> None:
    one, other = report([change("a", True)]), report([change("b", True)])
    assert trailer_value(one) == f"groq {one.digest()[:16]}"
    assert trailer_value(one) != trailer_value(other)


def test_reading_the_trailer_back() -> None:
    made = report([change("a", True)])
    message = commit_message(made, TREE)
    assert proposal_of(message) == trailer_value(made)
    assert refresh_trailer(message).startswith(trailer_value(made) + " tree=")
    assert is_refresh_commit(message)
    assert refresh_trailer("fix typo\n\nFreegin-Refresh:no-space\n") is None
    assert refresh_trailer("x\n\n  Freegin-Refresh: indented\n") is None
    assert refresh_trailer("x\n\nFreegin-Refresh:  padded value  \n") == "padded value"
    assert not is_refresh_commit("catalog: adopt groq/a for chat\n")


def test_the_system_prompt_asks_for_json_only() -> None:
    assert "JSON only" in SYSTEM_PROMPT


def test_a_commit_is_refreshs_only_while_its_tree_and_message_are_what_refresh_wrote() -> None:
    made = report([change("a", True)])
    message = commit_message(made, TREE)
    assert made_by_refresh(message, TREE)
    assert not made_by_refresh(message, "0" * 40)  # amended files, trailer kept
    reworded = message.replace("- groq/a for chat", "- groq/a for chat, checked by Ada")
    assert is_refresh_commit(reworded) and not made_by_refresh(reworded, TREE)  # amended message
    legacy = f"freegin-ai refresh: groq\n\n{TRAILER}: {trailer_value(made)}\n"
    assert is_refresh_commit(legacy) and not made_by_refresh(legacy, TREE)  # cannot be checked
    assert not made_by_refresh("catalog: adopt groq/a for chat\n", TREE)
    assert made_by_refresh(message.rstrip("\n"), TREE)  # git may drop the final newline


def lreport(*lifecycle: LifecycleProposal, changes: tuple[SuggestionChange, ...] = ()) -> RefreshReport:
    return report(changes, lifecycle)


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
    assert counts(lreport()) == "no changes"
    assert counts(lreport(*LIFECYCLE, changes=SUGGESTED)) == (
        "3 suggestions, 1 deprecation, 1 retirement, 1 reactivation"
    )
    assert counts(lreport(LIFECYCLE[0], LIFECYCLE[0])) == "2 deprecations"
    assert counts(lreport(*LIFECYCLE).providers[0]) == "1 deprecation, 1 retirement, 1 reactivation"


def test_the_commit_message_lists_suggestions_and_the_lifecycle_and_ends_with_the_trailer():
    made = lreport(*LIFECYCLE, changes=SUGGESTED)
    message = commit_message(made, TREE)
    body = message.rsplit("\n\n", 1)[0]
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
        f"Freegin-Refresh: groq {made.digest()[:16]} tree={TREE} "
        f"message={hashlib.sha256(body.encode()).hexdigest()[:16]}",
    ]
    assert is_refresh_commit(message) and proposal_of(message) == f"groq {made.digest()[:16]}"
    assert made_by_refresh(message, TREE)


def test_the_digest_changes_with_what_is_written_only():
    base = lreport(*LIFECYCLE, changes=SUGGESTED)
    assert base.digest() == lreport(*LIFECYCLE, changes=SUGGESTED).digest()
    assert base.digest() != lreport(*LIFECYCLE[:2], changes=SUGGESTED).digest()
    moved = LifecycleProposal("groq", "gone", "retire", ("chat",), "missing today")
    assert base.digest() != lreport(moved, *LIFECYCLE[1:], changes=SUGGESTED).digest()
    with_context = (SuggestionChange("groq", "chat", "new", "added", "why", True, context_window=8192),)
    assert lreport(changes=SUGGESTED[:1]).digest() != lreport(changes=with_context).digest()


def test_the_commit_message_lists_limit_corrections_with_their_evidence():
    correction = LimitCorrection(
        "groq",
        "llama",
        "requests_per_day",
        1000,
        14400,
        (
            "x-ratelimit-limit-requests-day: 14400 on llama, seen 2026-11-30 10:00 UTC",
            "x-ratelimit-limit-requests-day: 14400 on llama, seen 2026-11-30 11:00 UTC",
        ),
    )
    provider = ProviderRefresh("groq", None, "fetched", limit_corrections=(correction,))
    made = RefreshReport("groq", branch_name("groq"), "main", (provider,))
    message = commit_message(made, TREE)
    assert message.splitlines()[:-1] == [
        "freegin-ai refresh: groq",
        "",
        "",
        "Limit corrections:",
        "- groq/llama: requests_per_day 1000 -> 14400 ("
        "x-ratelimit-limit-requests-day: 14400 on llama, seen 2026-11-30 10:00 UTC; "
        "x-ratelimit-limit-requests-day: 14400 on llama, seen 2026-11-30 11:00 UTC)",
        "",
    ]
    assert made_by_refresh(message, TREE)


def test_a_message_without_the_trailer_is_not_made_by_refresh():
    assert made_by_refresh("catalog: adopt groq/a for chat\n", TREE) is False


def test_a_trailer_field_holding_an_equals_sign_is_read_not_a_crash():
    message = f"freegin-ai refresh: groq\n\n{TRAILER}: groq 0123456789abcdef tree=a=b message=c\n"
    assert made_by_refresh(message, TREE) is False
