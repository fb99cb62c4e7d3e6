"""The refresh pull request's section on free-tier limits (core.pr_limits): the corrections as a
table with their evidence, the values that cannot be told apart as a list, nothing when there is
neither; what providers sent is made inert markdown."""

from __future__ import annotations

from freegin_gitops.core.limit_corrections import LimitCorrection, LimitUnresolved
from freegin_gitops.core.pr_limits import limit_corrections
from freegin_gitops.core.pr_markdown import inline_text
from freegin_gitops.core.refresh_model import ProviderRefresh, RefreshReport

EVIDENCE = "x-ratelimit-limit-requests-day: 14400 on llama, seen 2026-11-30 10:00 UTC"
CORRECTION = LimitCorrection("groq", "llama", "requests_per_day", 1000, 14400, (EVIDENCE, EVIDENCE))
SHARED = LimitCorrection("groq", None, "tokens_per_minute", 6000, 12000, (EVIDENCE,))
UNRESOLVED = LimitUnresolved("groq", "qwen", "x-ratelimit-limit-requests 30 matches none of ...")
PROVIDER_WIDE = LimitUnresolved("groq", None, "the headers disagree among themselves")


def section(*found: LimitCorrection | LimitUnresolved, limit: int = 300) -> list[str]:
    corrections = tuple(f for f in found if isinstance(f, LimitCorrection))
    unresolved = tuple(f for f in found if isinstance(f, LimitUnresolved))
    provider = ProviderRefresh(
        "groq", None, "fetched", limit_corrections=corrections, limits_unresolved=unresolved
    )
    return limit_corrections(RefreshReport("groq", "freegin/refresh/groq", "main", (provider,)), limit)


def test_without_corrections_or_unresolved_values_there_is_no_section() -> None:
    assert section() == []


def test_corrections_are_a_table_with_the_evidence_and_no_list_follows() -> None:
    lines = section(CORRECTION, SHARED)
    assert lines[:3] == ["", "### Limit corrections (2)", ""]
    assert lines[3].startswith("The router records the `x-ratelimit-limit-*` headers")
    assert lines[4:] == [
        "",
        "| Provider | Model | Limit | Catalog | Reported | Evidence |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| groq | llama | `requests_per_day` | 1,000 | 14,400 | {EVIDENCE}<br>{EVIDENCE} |",
        f"| groq | all models (provider `limits`) | `tokens_per_minute` | 6,000 | 12,000 | {EVIDENCE} |",
    ]


def test_unresolved_values_alone_are_a_list_without_a_table() -> None:
    assert section(UNRESOLVED, PROVIDER_WIDE) == [
        "",
        "### Limit corrections (0)",
        "",
        "",
        "These reported values disagree with the catalog but say too little to correct it "
        "(nothing was changed for them):",
        "",
        "- groq/qwen: x-ratelimit-limit-requests 30 matches none of ...",
        "- groq: the headers disagree among themselves",
    ]


def test_corrections_come_before_the_values_that_could_not_be_told() -> None:
    lines = section(CORRECTION, UNRESOLVED)
    assert lines[1] == "### Limit corrections (1)"
    assert lines.index("| --- | --- | --- | --- | --- | --- |") < lines.index(
        "- groq/qwen: x-ratelimit-limit-requests 30 matches none of ..."
    )
    assert lines[-1] == "- groq/qwen: x-ratelimit-limit-requests 30 matches none of ..."


def test_what_the_provider_sent_is_inert_and_cut_to_the_limit() -> None:
    hostile = LimitUnresolved("groq", "m", "see @octocat in <b>#1</b> " + "x" * 50)
    (item,) = [line for line in section(hostile, limit=20) if line.startswith("- ")]
    assert "<b>" not in item and "@octocat" not in item
    assert item == "- groq/m: " + inline_text(hostile.why, 20)
    assert item.endswith("…") and "x" * 10 not in item
