"""Sections of the refresh pull request body (core.pr_sections), one at a time: the summary's
counts and how long a model has been missing from its provider's list."""

from __future__ import annotations

import datetime as dt

from freegin_gitops.core.limit_corrections import LimitCorrection
from freegin_gitops.core.pr_sections import lifecycle, summary
from freegin_gitops.core.refresh_model import (
    LifecycleProposal,
    ProviderRefresh,
    RefreshReport,
    SuggestionChange,
)

DAY = dt.date(2026, 11, 1)


def report(provider: ProviderRefresh) -> RefreshReport:
    return RefreshReport("groq", "freegin/refresh/groq", "main", (provider,))


def suggestion(model: str, action: str) -> SuggestionChange:
    return SuggestionChange("groq", "chat", model, action, "good", True)  # type: ignore[arg-type]


def proposes(provider: ProviderRefresh) -> str:
    (line,) = [line for line in summary(report(provider), 300) if line.startswith("It proposes")]
    return line


def test_the_summary_counts_new_and_updated_suggestions_apart() -> None:
    changes = (suggestion("a", "added"), suggestion("b", "added"), suggestion("c", "updated"))
    assert proposes(ProviderRefresh("groq", None, "fetched", changes)) == (
        "It proposes **2** new and **1** updated suggestion(s), **0** deprecation(s), **0** "
        "retirement(s) and **0** model(s) active again."
    )


def test_the_summary_says_how_many_limits_it_corrects() -> None:
    correction = LimitCorrection("groq", "llama", "requests_per_day", 1000, 14400, ("seen",))
    provider = ProviderRefresh("groq", None, "fetched", limit_corrections=(correction,))
    assert proposes(provider).endswith(
        "model(s) active again. It also corrects **1** catalog limit(s) that the provider's "
        "rate-limit headers contradict."
    )


def test_the_days_a_model_has_been_missing_are_counted_in_words() -> None:
    proposals = tuple(
        LifecycleProposal(
            "groq", f"m{days}", "deprecate", ("chat",), "missing", missing_since=DAY, missing_days=days
        )
        for days in (0, 1, 2)
    )
    lines = lifecycle(report(ProviderRefresh("groq", None, "fetched", lifecycle=proposals)), 300)
    assert "| groq | m0 | chat | — | 2026-11-01 (today) | — | missing |" in lines
    assert "| groq | m1 | chat | — | 2026-11-01 (1 day) | — | missing |" in lines
    assert "| groq | m2 | chat | — | 2026-11-01 (2 days) | — | missing |" in lines
