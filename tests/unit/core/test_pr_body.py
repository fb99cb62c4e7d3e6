"""The refresh PR's title and body (pure): hostile LLM text rendered inert in every section,
tables well formed, the evidence a reviewer decides from, the hidden marker, a golden body."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from freegin_gitops.core.catalog import ModelRef
from freegin_gitops.core.pr_body import (
    MAX_TEXT,
    SECTIONS,
    marker,
    parse_marker,
    pr_title,
    render_pr_body,
)
from freegin_gitops.core.refresh_model import (
    LifecycleProposal,
    ProviderRefresh,
    ProviderSkipped,
    RefreshReport,
    SkippedRecommendation,
    SuggestionChange,
    UnlistedRecommendation,
)
from freegin_gitops.core.usage import UsageStats

HOSTILE = {
    "script": "<script>alert(document.cookie)</script>",
    "img-onerror": '<img src=x onerror="alert(1)">',
    "pipes-newlines": "fast | cheap\n| --- |\n\n# Heading\r\n- item",
    "mention": "ask @octocat or @github/security-team",
    "email": "mail admin@example.com",
    "issue-ref": "fixes #1 and GH-2, see octo/repo#3",
    "md-link": "[x](javascript:alert(1))",
    "md-image": "![img](http://x/track.png)",
    "ref-link": "[click][1]\n\n[1]: http://evil.example",
    "autolink": "see https://evil.example and www.evil.example or <http://a.b>",
    "backticks": "``` run `rm -rf ~` ```",
    "comment-close": "--> <!-- --!> end",
    "entities": "&lt;b&gt; &amp; &#64;octocat &#35;1",
    "emphasis": "**bold** _it_ ~~gone~~ \\| escaped",
    "bidi-zero-width": "safe\u202eevil\u200b\u2066x\u2069\ufeff\x00\x1b[31m",
    "line-separators": "a\u2028b\u2029c\x85d\x0be",
    "lone-surrogate": "bad \ud800 text",
    "html-details": "</details><details open><summary>x</summary>",
    "long": "A" * 10_000,
    "long-at": "@" * 10_000,
}


def change(
    text: str, model: str | None = None, verified: bool | None = True, action: str = "added"
) -> SuggestionChange:
    return SuggestionChange(
        provider="groq",
        workload="chat",
        model=model or text,
        action=action,  # type: ignore[arg-type]
        rationale=text,
        verified=verified,
        cost=text,
        speed=text,
    )


def hostile_report(text: str) -> RefreshReport:
    stats = UsageStats(10, 9, 120.0, 300.0, text)
    provider = ProviderRefresh(
        provider="groq",
        answered_by=ModelRef("groq", text),
        model_list="unavailable",
        model_list_error=text,
        changes=(change(text), change(text, model="plain-model", verified=None, action="updated")),
        lifecycle=(
            LifecycleProposal(
                "groq",
                text,
                "deprecate",
                ("chat", text),
                text,
                successor=text,
                orphans=(text,),
                usage={"chat": stats},
            ),
            LifecycleProposal("groq", text, "retire", ("chat",), text, missing_days=3),
            LifecycleProposal("groq", text, "reactivate", (text,), text),
        ),
        skipped=(SkippedRecommendation("groq", "chat", text, text),),
        unlisted=(UnlistedRecommendation("groq", text, text, text),),
        usage={(text, text): stats},
    )
    other = ProviderRefresh(
        provider="other", answered_by=None, model_list="fetched", listed=3, suspect=text, failure=text
    )
    return RefreshReport(
        scope="all",
        branch="freegin/refresh/all",
        base="main",
        providers=(provider, other),
        skipped=(ProviderSkipped(text, text),),
    )


OUR_HTML = re.compile(
    r"^(<details>|</details>|<summary>[^<>]*</summary>|<!-- freegin-ai:refresh "
    r"scope=[\w./-]+ digest=[0-9a-f]{64} -->)$"
)


def tables(body: str) -> list[list[str]]:
    """Each markdown table of ``body`` as its lines."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in [*body.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            found.append(current)
            current = []
    return found


def cells(row: str) -> list[str]:
    assert row.startswith("| ") and row.endswith(" |"), row
    return row[2:-2].split(" | ")


def assert_inert(body: str) -> None:
    lines = body.splitlines()
    ours = [line for line in lines if OUR_HTML.match(line)]
    rest = "\n".join(line for line in lines if not OUR_HTML.match(line))
    # no raw HTML and nothing that can open or close a comment
    assert "<" not in rest and ">" not in rest
    assert body.count("<!--") == 1 and body.count("-->") == 1
    assert ours[-1].startswith("<!-- freegin-ai:refresh")
    assert sum(line == "<details>" for line in lines) == sum(line == "</details>" for line in lines)
    # no markdown link or image syntax, no raw mention or reference, even once GitHub has
    # decoded the character references (its mention and reference filters see decoded text)
    assert "](" not in body and "![" not in body and "][" not in body
    assert "@" not in body
    decoded = html.unescape(rest)
    assert not re.search(r"@[A-Za-z0-9]", decoded)
    assert not re.search(r"#\d|(?i:gh)-\d", decoded)
    assert not re.search(r"(?i)https?://|www\.", decoded)
    for control in ("\u202e", "\u2066", "\u200b\u200b", "\ufeff", "\x00", "\x1b", "\ud800"):
        assert control not in body
    # tables stay tables: every row has the header's number of cells
    for table in tables(body):
        widths = {len(cells(row)) for row in table}
        assert len(widths) == 1, table
        assert set(table[1].replace(" ", "")) <= {"|", "-"}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_llm_text_is_rendered_inert(name: str) -> None:
    body = render_pr_body(hostile_report(HOSTILE[name]))
    assert_inert(body)


def test_all_hostile_texts_at_once_stay_inert() -> None:
    provider = ProviderRefresh(
        provider="groq",
        answered_by=None,
        model_list="fetched",
        changes=tuple(change(text, model=f"{name}:{text}") for name, text in HOSTILE.items()),
        skipped=tuple(SkippedRecommendation("groq", "code", text, text) for text in HOSTILE.values()),
    )
    report = RefreshReport(scope="groq", branch="freegin/refresh/groq", base="main", providers=(provider,))
    body = render_pr_body(report)
    assert_inert(body)
    suggestion_rows = tables(body)[1][2:]
    assert len(suggestion_rows) == len(HOSTILE)


def test_long_text_is_cut_with_an_ellipsis() -> None:
    body = render_pr_body(hostile_report("word " * 2_000))
    rows = tables(body)[1][2:]
    rationale = html.unescape(cells(rows[0])[-1])
    assert rationale.endswith("…")
    assert len(rationale) <= MAX_TEXT


def test_each_suggestion_shows_whether_the_provider_lists_it_since_when_and_its_context() -> None:
    provider = ProviderRefresh(
        provider="groq",
        answered_by=ModelRef("groq", "m"),
        model_list="fetched",
        changes=(
            SuggestionChange(
                "groq",
                "chat",
                "a",
                "added",
                "why",
                True,
                listed_since=dt.date(2025, 8, 6),
                context_window=131072,
            ),
            change("b", verified=True),
            change("c", verified=False),
            change("d", verified=None, action="updated"),
        ),
    )
    body = render_pr_body(RefreshReport("groq", "freegin/refresh/groq", "main", (provider,)))
    rows = [cells(r) for r in tables(body)[1][2:]]
    assert [(r[0], r[2], r[3], r[4]) for r in rows] == [
        ("a", "🆕 added", "✅ since 2025-08-06", "131,072"),
        ("b", "🆕 added", "✅ listed", "—"),
        ("c", "🆕 added", "❌ not listed (kept by --keep-unlisted)", "—"),
        ("d", "🔁 updated", "❔ list unavailable", "—"),
    ]
    assert rows[0][-1] == "why"


def section(body: str, heading: str) -> str:
    return body.split(f"### {heading}\n", 1)[1].split("\n### ", 1)[0]


def test_unlisted_recommendations_are_listed_as_not_served() -> None:
    provider = ProviderRefresh(
        "groq", None, "fetched", unlisted=(UnlistedRecommendation("groq", "code", "ghost", "invented"),)
    )
    body = render_pr_body(RefreshReport("groq", "b", "main", (provider,)))
    found = section(body, "Not served by the provider")
    assert "| groq | ghost | code | invented |" in found
    assert "--keep-unlisted" in found
    assert "### Not served" not in render_pr_body(
        RefreshReport("groq", "b", "main", (ProviderRefresh("groq", None, "fetched"),))
    )


def test_skipped_failed_and_suspect_providers_are_reported_with_why() -> None:
    failed = ProviderRefresh("beta", None, "fetched", listed=0, failure="the answer from x is empty")
    suspect = ProviderRefresh(
        "gamma", None, "fetched", listed=2, suspect="it holds none of the provider's 3 active model(s)"
    )
    report = RefreshReport(
        "all",
        "b",
        "main",
        (failed, suspect),
        skipped=(ProviderSkipped("groq", "no API key: GROQ_API_KEY is not set"),),
    )
    body = render_pr_body(report)
    assert section(body, "Providers left out (1)").splitlines()[-1] == (
        "- groq: skipped: no API key: GROQ&#95;API&#95;KEY is not set"
    )
    assert section(body, "⚠️ Providers that could not be refreshed (1)").splitlines()[-1] == (
        "- beta: the answer from x is empty"
    )
    assert "- gamma: it holds none of the provider's 3 active model&#40;s&#41;" in section(
        body, "Suspect model lists"
    )
    providers = [cells(r) for r in tables(body)[0][2:]]
    assert providers[0][:3] == ["beta", "❌ failed", "✅ 0 model(s)"]
    assert (
        providers[1][2] == "⚠️ suspect (2 model(s)): it holds none of the provider's 3 active model&#40;s&#41;"
    )


def test_deprecations_retirements_and_reactivations_show_how_long_the_model_is_missing() -> None:
    day = dt.date(2026, 11, 1)
    provider = ProviderRefresh(
        "groq",
        None,
        "fetched",
        lifecycle=(
            LifecycleProposal(
                "groq", "gone", "deprecate", ("chat",), "missing", missing_since=day, missing_days=0
            ),
            LifecycleProposal(
                "groq",
                "old",
                "retire",
                ("chat", "code"),
                "missing long",
                deprecated=day,
                missing_since=day,
                missing_days=30,
            ),
            LifecycleProposal(
                "groq", "back", "reactivate", ("code",), "listed again", deprecated=day, missing_since=day
            ),
            LifecycleProposal(
                "groq",
                "new",
                "deprecate",
                ("chat",),
                "missing",
                successor="m",
                orphans=("older",),
                missing_days=1,
            ),
        ),
    )
    body = render_pr_body(RefreshReport("groq", "b", "main", (provider,)))
    deprecations = section(body, "Proposed deprecations")
    assert "| groq | gone | chat | — | 2026-11-01 (today) | — | missing |" in deprecations
    assert "| groq | new | chat | — | — | m | missing |" in deprecations
    assert "- groq/older no longer names new as its successor" in deprecations
    assert "| groq | old | chat, code | 2026-11-01 | 2026-11-01 (30 days) | — | missing long |" in section(
        body, "Proposed retirements"
    )
    assert "| groq | back | code | 2026-11-01 | — | — | listed again |" in section(body, "Active again")
    usage = [cells(r)[:3] for r in tables(body)[-1][2:]]
    assert usage == [
        ["groq", "gone", "chat"],
        ["groq", "old", "chat"],
        ["groq", "old", "code"],
        ["groq", "new", "chat"],
    ]


def test_the_footer_says_how_to_decide_with_the_three_commands() -> None:
    body = render_pr_body(RefreshReport("groq", "b", "main", ()))
    footer = section(body, "How to decide")
    for command in ("adopt-model", "reject-model", "deprecate-model"):
        assert f"`freegin-ai {command} PROVIDER MODEL" in footer


def test_another_section_can_be_added() -> None:
    def limits(report: RefreshReport, limit: int) -> list[str]:
        return ["", "### Limit corrections", "", "- none"]

    report = RefreshReport("groq", "b", "main", ())
    body = render_pr_body(report, sections=(*SECTIONS[:-1], limits, SECTIONS[-1]))
    assert body.index("### Limit corrections") < body.index("### How to decide")
    assert parse_marker(body) == ("groq", report.digest())


def test_marker_carries_scope_and_digest_and_is_last() -> None:
    report = hostile_report("x")
    body = render_pr_body(report)
    assert body.rstrip("\n").splitlines()[-1] == (
        f"<!-- freegin-ai:refresh scope=all digest={report.digest()} -->"
    )
    assert parse_marker(body) == ("all", report.digest())
    assert parse_marker("no marker here") is None
    assert parse_marker(None) is None


def test_marker_scope_cannot_break_out_of_the_comment() -> None:
    report = RefreshReport("x --> <b>@y</b>", "b", "main", ())
    line = marker(report)
    assert line.count("-->") == 1 and line.endswith(" -->")
    assert "<b>" not in line and "@" not in line


def test_branch_and_base_are_escaped() -> None:
    report = RefreshReport("all", "freegin/refresh/all`<b>", "release/@team", ())
    body = render_pr_body(report)
    assert "&#96;&lt;b&gt;" in body and "&#64;&#8203;team" in body
    assert_inert(body)


def test_output_is_deterministic() -> None:
    assert render_pr_body(hostile_report("same")) == render_pr_body(hostile_report("same"))


@pytest.mark.parametrize(
    ("changes", "kinds", "title"),
    [
        (2, ["retire"], "freegin-ai: refresh models for all providers (2 suggestions, 1 retirement)"),
        (1, [], "freegin-ai: refresh models for all providers (1 suggestion)"),
        (0, ["deprecate", "deprecate"], "freegin-ai: refresh models for all providers (2 deprecations)"),
        (
            0,
            ["reactivate", "deprecate", "retire"],
            "freegin-ai: refresh models for all providers (1 deprecation, 1 retirement, 1 reactivation)",
        ),
        (0, [], "freegin-ai: refresh models for all providers (no changes)"),
    ],
)
def test_title(changes: int, kinds: list[str], title: str) -> None:
    provider = ProviderRefresh(
        "groq",
        None,
        "fetched",
        changes=tuple(change(f"m{i}") for i in range(changes)),
        lifecycle=tuple(
            LifecycleProposal("groq", f"r{i}", kind, ("chat",), "gone")  # type: ignore[arg-type]
            for i, kind in enumerate(kinds)
        ),
    )
    assert pr_title(RefreshReport("all", "b", "main", (provider,))) == title


def test_title_of_one_provider() -> None:
    assert pr_title(RefreshReport("groq", "b", "main", ())) == (
        "freegin-ai: refresh models for groq (no changes)"
    )


def test_retirement_usage_falls_back_to_the_providers_usage() -> None:
    stats = UsageStats(4, 2, 1500.0, 4000.0, "2025-01-02T03:04:05Z")
    provider = ProviderRefresh(
        "groq",
        None,
        "fetched",
        lifecycle=(LifecycleProposal("groq", "old", "retire", ("chat",), "gone"),),
        usage={("old", "chat"): stats},
    )
    body = render_pr_body(RefreshReport("groq", "b", "main", (provider,)))
    usage = [cells(r) for r in tables(body)[-1][2:]]
    assert usage == [["groq", "old", "chat", "4", "50.0%", "1,500 ms", "4,000 ms", "2025-01-02T03:04:05Z"]]


def small_report() -> RefreshReport:
    groq = ProviderRefresh(
        provider="groq",
        answered_by=ModelRef("groq", "llama-3.3-70b-versatile"),
        model_list="fetched",
        changes=(
            SuggestionChange(
                "groq",
                "chat",
                "qwen/qwen3-32b",
                "added",
                "Strong multilingual chat | cheap",
                True,
                "free",
                "fast",
            ),
            SuggestionChange("groq", "code", "made-up-coder", "updated", "Ping @octocat, see #1", False),
        ),
        lifecycle=(
            LifecycleProposal(
                "groq",
                "mixtral-8x7b-32768",
                "deprecate",
                ("chat", "code"),
                "not in groq's model list (GET /models) on 2026-11-25",
                missing_since=dt.date(2026, 11, 25),
                missing_days=0,
                usage={"chat": UsageStats(120, 117, 830.4, 2100.0, "2025-05-01T10:00:00Z")},
            ),
        ),
        unlisted=(UnlistedRecommendation("groq", "code", "made-up-coder-2", "Invented."),),
        listed=57,
        skipped=(SkippedRecommendation("groq", "chat", "llama-3.3-70b-versatile", "already active"),),
    )
    mistral = ProviderRefresh(
        provider="mistral",
        answered_by=None,
        model_list="unavailable",
        model_list_error="mistral: cannot connect (ConnectError)",
    )
    return RefreshReport(
        scope="all",
        branch="freegin/refresh/all",
        base="main",
        providers=(groq, mistral),
        skipped=(ProviderSkipped("cohere", "no API key: COHERE_API_KEY is not set"),),
    )


GOLDEN = "\n".join(
    [
        "## Model catalog refresh: all providers",
        "",
        "`freegin-ai refresh-models` fetched each provider's model list, asked an LLM to choose "
        "better free-tier models for each workload among those listed, checked every answer "
        "against the list and the workload's constraints, and wrote the result to branch "
        "**freegin/refresh/all**, based on **main**.",
        "",
        "It proposes **1** new and **1** updated suggestion(s), **1** deprecation(s), **0** "
        "retirement(s) and **0** model(s) active again.",
        "",
        "Model ids, rationale, cost and speed are the LLM's words, shown as plain text: check them "
        "before adopting.",
        "",
        "### Providers",
        "",
        "| Provider | Answered by | Model list | Suggestions | Not served | Lifecycle | Left out |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| groq | groq/llama-3.3-70b-versatile | ✅ 57 model(s) | 2 | 1 | 1 | 1 |",
        "| mistral | the saved answer | ❔ unavailable: mistral: cannot connect "
        "&#40;ConnectError&#41; | 0 | 0 | 0 | 0 |",
        "",
        "### Providers left out (1)",
        "",
        "A provider whose key is not set is left out of a refresh of all providers (nothing could be "
        "verified); name it to refresh it anyway.",
        "",
        "- cohere: skipped: no API key: COHERE&#95;API&#95;KEY is not set",
        "",
        "### Suggestions for groq",
        "",
        "| Model | Workload | Change | Listed by the provider | Context | Cost | Speed | Rationale |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        "| qwen/qwen3-32b | chat | 🆕 added | ✅ listed | — | free | fast | Strong multilingual chat "
        "&#124; cheap |",
        "| made-up-coder | code | 🔁 updated | ❌ not listed (kept by --keep-unlisted) | — | — | — | "
        "Ping &#64;&#8203;octocat, see &#35;&#8203;1 |",
        "",
        "### Not served by the provider",
        "",
        "The LLM recommended these models, but the provider's model list does not hold them "
        "(misspelt, retired, not available to this key, or invented): they were not written. "
        "`refresh-models --keep-unlisted` keeps them as pending suggestions with `verified: false`.",
        "",
        "| Provider | Model | Workload | Rationale |",
        "| --- | --- | --- | --- |",
        "| groq | made-up-coder-2 | code | Invented. |",
        "",
        "### Proposed deprecations",
        "",
        "These active models are missing from their provider's model list. Merging deprecates "
        "them: the router still uses them, after every active model of the workload, and a later "
        "refresh retires them if they are still missing after the grace period.",
        "",
        "| Provider | Model | Workloads | Deprecated | Missing since | Successor | Reason |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| groq | mixtral-8x7b-32768 | chat, code | — | 2026-11-25 (today) | — | not in groq's "
        "model list &#40;GET /models&#41; on 2026-11-25 |",
        "",
        "Usage recorded by the router for the models leaving:",
        "",
        "| Provider | Model | Workload | Calls | Success rate | Mean latency | p95 latency | Last used |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        "| groq | mixtral-8x7b-32768 | chat | 120 | 97.5% | 830 ms | 2,100 ms | 2025-05-01T10:00:00Z |",
        "| groq | mixtral-8x7b-32768 | code | 0 | — | — | — | — |",
        "",
        "<details>",
        "<summary>Recommendations left out (1)</summary>",
        "",
        "- groq · chat · llama-3.3-70b-versatile: already active",
        "",
        "</details>",
        "",
        "### How to decide",
        "",
        "Merging records the suggestions as *pending* and applies the lifecycle changes above; to "
        "keep a model this branch deprecates or retires, drop its change before merging. Then, on "
        "the branch or after merging:",
        "",
        "- adopt a suggestion: `freegin-ai adopt-model PROVIDER MODEL --workload W --commit`",
        "- reject it for good: `freegin-ai reject-model PROVIDER MODEL --workload W --reason TEXT --commit`",
        "- name the model that replaces a deprecated one: `freegin-ai deprecate-model PROVIDER "
        "MODEL --successor M --commit`",
        "",
        "Running the refresh again updates this pull request.",
        "",
        "<!-- freegin-ai:refresh scope=all digest=DIGEST -->",
        "",
    ]
)


def test_golden_body_of_a_small_report() -> None:
    report = small_report()
    assert render_pr_body(report) == GOLDEN.replace("DIGEST", report.digest())
    assert_inert(render_pr_body(report))


def test_providers_that_failed_have_their_own_section_with_the_reason_escaped() -> None:
    ok = ProviderRefresh("groq", None, "fetched", changes=(change("fast", "m1"),))
    failed = ProviderRefresh("cohere", None, "unavailable", failure="the answer had no JSON <b>@here</b>")
    report = RefreshReport("all", "freegin/refresh/all", "main", (failed, ok))
    body = render_pr_body(report)
    section = body[body.index("### ⚠️ Providers that could not be refreshed (1)") :].splitlines()
    assert section[2] == "Nothing of theirs is in this pull request; the next refresh tries them again."
    assert section[4].startswith("- cohere: the answer had no JSON &lt;b&gt;&#64;")
    assert_inert(body)
    assert report.failed == [failed]


def test_no_failure_section_when_all_providers_were_refreshed() -> None:
    ok = ProviderRefresh("groq", None, "fetched", changes=(change("fast", "m1"),))
    assert "could not be refreshed" not in render_pr_body(RefreshReport("groq", "b", "main", (ok,)))
