"""The words of a refresh: branch names, the commit message and its trailer (pure)."""

from __future__ import annotations

import hashlib

from freegin_gitops.core.refresh_model import (
    ProviderRefresh,
    RefreshReport,
    RetirementProposal,
    SuggestionChange,
)
from freegin_gitops.core.refresh_text import (
    BRANCH_PREFIX,
    SYSTEM_PROMPT,
    TRAILER,
    branch_name,
    commit_message,
    is_refresh_commit,
    made_by_refresh,
    proposal_of,
    refresh_trailer,
    trailer_value,
)

TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def report(changes=(), retirements=()) -> RefreshReport:
    provider = ProviderRefresh(
        "groq", None, "fetched", changes=tuple(changes), retirements=tuple(retirements)
    )
    return RefreshReport("groq", branch_name("groq"), "main", (provider,))


def change(model: str, verified: bool | None, action: str = "added") -> SuggestionChange:
    return SuggestionChange("groq", "chat", model, action, "good", verified)  # type: ignore[arg-type]


def test_branch_names() -> None:
    assert (branch_name("groq"), branch_name("all")) == ("freegin/refresh/groq", "freegin/refresh/all")
    assert BRANCH_PREFIX == "freegin/refresh/"


def test_the_commit_message_lists_suggestions_and_retirements_and_ends_with_the_trailer() -> None:
    made = report(
        [change("a", True), change("b", False, "updated"), change("c", None)],
        [RetirementProposal("groq", "old", ("chat",), "no longer listed by the provider")],
    )
    message = commit_message(made, TREE)
    body = message.rsplit("\n\n", 1)[0]
    assert message == (
        "freegin-ai refresh: groq\n"
        "\n"
        "Suggestions:\n"
        "- groq/a for chat (added, verified)\n"
        "- groq/b for chat (updated, not listed)\n"
        "- groq/c for chat (added, unverified)\n"
        "\n"
        "Retirement proposals:\n"
        "- groq/old: no longer listed by the provider\n"
        "\n"
        f"Freegin-Refresh: groq {made.digest()[:16]} tree={TREE} "
        f"message={hashlib.sha256(body.encode()).hexdigest()[:16]}\n"
    )


def test_a_message_with_retirements_only() -> None:
    made = report(retirements=[RetirementProposal("groq", "old", ("chat",), "gone")])
    assert commit_message(made, TREE).startswith("freegin-ai refresh: groq\n\n\nRetirement proposals:\n")
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
