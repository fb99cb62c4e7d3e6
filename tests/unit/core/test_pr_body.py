"""The refresh PR's title and body (pure): hostile LLM text rendered inert, tables well formed,
the hidden marker, a golden body."""

from __future__ import annotations

import html
import re

import pytest

from freegin_gitops.core.catalog import ModelRef
from freegin_gitops.core.pr_body import (
    MAX_TEXT,
    inline_text,
    marker,
    parse_marker,
    pr_title,
    render_pr_body,
)
from freegin_gitops.core.refresh_model import (
    ProviderRefresh,
    RefreshReport,
    RetirementProposal,
    SkippedRecommendation,
    SuggestionChange,
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
        retirements=(RetirementProposal("groq", text, ("chat", text), text, {"chat": stats}),),
        skipped=(SkippedRecommendation("groq", "chat", text, text),),
        usage={(text, text): stats},
    )
    return RefreshReport(scope="all", branch="freegin/refresh/all", base="main", providers=(provider,))


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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<script>", "&lt;script&gt;"),
        ("a | b", "a &#124; b"),
        ("one\ntwo\r\n\tthree", "one two three"),
        ("@octocat", "&#64;&#8203;octocat"),
        ("#1", "&#35;&#8203;1"),
        ("[x](javascript:alert(1))", "&#91;x&#93;&#40;javascript:alert&#40;1&#41;&#41;"),
        ("![i](u)", "&#33;&#91;i&#93;&#40;u&#41;"),
        ("`code`", "&#96;code&#96;"),
        ("-->", "--&gt;"),
        ("a & b", "a &amp; b"),
        ("https://x.y", "https:&#8203;//x.y"),
        ("WWW.x.y", "WWW&#8203;.x.y"),
        ("fixes GH-12", "fixes GH&#8203;-12"),
        ("a\u202eb\u200bc", "abc"),
        ("free", "free"),
        ("", "—"),
        (None, "—"),
        (" \n ", "—"),
    ],
)
def test_inline_text(text: str | None, expected: str) -> None:
    assert inline_text(text) == expected


def test_inline_text_limit_counts_characters_before_escaping() -> None:
    assert inline_text("<" * 10, limit=5) == "&lt;" * 4 + "…"
    assert inline_text("x" * MAX_TEXT) == "x" * MAX_TEXT


def test_verified_column_and_change_kind_are_visible() -> None:
    provider = ProviderRefresh(
        provider="groq",
        answered_by=ModelRef("groq", "m"),
        model_list="fetched",
        changes=(
            change("a", verified=True),
            change("b", verified=False),
            change("c", verified=None, action="updated"),
        ),
    )
    body = render_pr_body(RefreshReport("groq", "freegin/refresh/groq", "main", (provider,)))
    rows = [cells(r) for r in tables(body)[1][2:]]
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("a", "🆕 added", "✅ verified"),
        ("b", "🆕 added", "❌ not listed"),
        ("c", "🔁 updated", "❔ unknown"),
    ]


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
    ("changes", "retirements", "title"),
    [
        (2, 1, "freegin-ai: refresh models for all providers (2 suggestions, 1 retirement)"),
        (1, 0, "freegin-ai: refresh models for all providers (1 suggestion)"),
        (0, 2, "freegin-ai: refresh models for all providers (2 retirements)"),
        (0, 0, "freegin-ai: refresh models for all providers (no changes)"),
    ],
)
def test_title(changes: int, retirements: int, title: str) -> None:
    provider = ProviderRefresh(
        "groq",
        None,
        "fetched",
        changes=tuple(change(f"m{i}") for i in range(changes)),
        retirements=tuple(RetirementProposal("groq", f"r{i}", ("chat",), "gone") for i in range(retirements)),
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
        retirements=(RetirementProposal("groq", "old", ("chat",), "gone"),),
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
        retirements=(
            RetirementProposal(
                "groq",
                "mixtral-8x7b-32768",
                ("chat", "code"),
                "not in the provider's model list",
                {"chat": UsageStats(120, 117, 830.4, 2100.0, "2025-05-01T10:00:00Z")},
            ),
        ),
        skipped=(SkippedRecommendation("groq", "chat", "llama-3.3-70b-versatile", "already active"),),
    )
    mistral = ProviderRefresh(
        provider="mistral",
        answered_by=None,
        model_list="unavailable",
        model_list_error="mistral: cannot connect (ConnectError)",
    )
    return RefreshReport(scope="all", branch="freegin/refresh/all", base="main", providers=(groq, mistral))


GOLDEN = "\n".join(
    [
        "## Model catalog refresh: all providers",
        "",
        "`freegin-ai refresh-models` asked an LLM for better free-tier models for each workload, "
        "checked every recommendation against the provider's own model list and wrote the result "
        "to branch **freegin/refresh/all**, based on **main**.",
        "",
        "It proposes **1** new and **1** updated suggestion(s), and **1** retirement(s).",
        "",
        "Model ids, rationale, cost and speed are the LLM's words, shown as plain text: check "
        "them before adopting. Verified: ✅ the provider lists the model, ❌ it does not (misspelt, "
        "retired or not available to this key), ❔ the list could not be fetched.",
        "",
        "### How to review",
        "",
        "Merging records the suggestions as *pending* and retires the models under *Proposed "
        "retirements*. Then, for each suggestion:",
        "",
        "- adopt it: `freegin-ai adopt-model PROVIDER MODEL --workload W --commit`",
        "- or reject it for good: `freegin-ai reject-model PROVIDER MODEL --workload W --reason "
        "TEXT --commit`",
        "",
        "To keep a model proposed for retirement, drop its change from this branch before "
        "merging. Running the refresh again updates this pull request.",
        "",
        "### Refresh prompts",
        "",
        "| Provider | Answered by | Model list | Suggestions | Retirements | Skipped |",
        "| --- | --- | --- | --- | --- | --- |",
        "| groq | groq/llama-3.3-70b-versatile | ✅ fetched | 2 | 1 | 1 |",
        "| mistral | — | ⚠️ unavailable: mistral: cannot connect &#40;ConnectError&#41; | 0 | 0 | 0 |",
        "",
        "### Suggestions for groq",
        "",
        "| Model | Workload | Change | Verified | Cost | Speed | Rationale |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        "| qwen/qwen3-32b | chat | 🆕 added | ✅ verified | free | fast | Strong multilingual chat "
        "&#124; cheap |",
        "| made-up-coder | code | 🔁 updated | ❌ not listed | — | — | Ping &#64;&#8203;octocat, "
        "see &#35;&#8203;1 |",
        "",
        "### Proposed retirements",
        "",
        "These active models are missing from their provider's model list; merging retires them.",
        "",
        "| Provider | Model | Workloads | Reason |",
        "| --- | --- | --- | --- |",
        "| groq | mixtral-8x7b-32768 | chat, code | not in the provider's model list |",
        "",
        "Usage recorded by the router, which informed these proposals:",
        "",
        "| Provider | Model | Workload | Calls | Success rate | Mean latency | p95 latency | Last used |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        "| groq | mixtral-8x7b-32768 | chat | 120 | 97.5% | 830 ms | 2,100 ms | 2025-05-01T10:00:00Z |",
        "| groq | mixtral-8x7b-32768 | code | 0 | — | — | — | — |",
        "",
        "<details>",
        "<summary>Skipped recommendations (1)</summary>",
        "",
        "- groq · chat · llama-3.3-70b-versatile: already active",
        "",
        "</details>",
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
