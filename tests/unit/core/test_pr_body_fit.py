"""A refresh's pull-request body fits GitHub's limit: shorter texts first, then whole lines cut,
with the marker kept and every character counted."""

from __future__ import annotations

import pytest

from freegin_gitops.core.pr_body import _CUT_NOTE, MAX_BODY, _render, marker, parse_marker, render_pr_body
from freegin_gitops.core.refresh_model import ProviderRefresh, RefreshReport, SkippedRecommendation
from tests.unit.core.test_pr_body import assert_inert, change, tables


def test_huge_report_is_cut_to_githubs_limit_and_keeps_its_marker() -> None:
    changes = tuple(change("@#<|>" * 100, model=f"model-{i}") for i in range(150))
    skipped = tuple(SkippedRecommendation("groq", "chat", f"s{i}", "@" * 300) for i in range(150))
    provider = ProviderRefresh("groq", None, "fetched", changes=changes, skipped=skipped)
    report = RefreshReport("groq", "freegin/refresh/groq", "main", (provider,))
    body = render_pr_body(report)
    assert len(body) <= MAX_BODY
    assert_inert(body)
    assert parse_marker(body) == ("groq", report.digest())
    assert "cut to fit GitHub's limit" in body


def test_shorter_texts_are_tried_before_cutting() -> None:
    changes = tuple(change("r" * 300, model=f"model-{i}") for i in range(120))
    provider = ProviderRefresh("groq", None, "fetched", changes=changes)
    body = render_pr_body(RefreshReport("groq", "b", "main", (provider,)))
    assert len(body) <= MAX_BODY
    assert "cut to fit" not in body
    assert len(tables(body)[1]) == 2 + 120


def big_report() -> RefreshReport:
    changes = tuple(change(f"reason {i} " * 20, model=f"model-{i}") for i in range(60))
    skipped = tuple(SkippedRecommendation("groq", "chat", f"s{i}", "why " * 30) for i in range(60))
    provider = ProviderRefresh("groq", None, "fetched", changes=changes, skipped=skipped)
    return RefreshReport("groq", "freegin/refresh/groq", "main", (provider,))


@pytest.mark.parametrize("max_chars", [1_500, 2_000, 2_345, 3_001, 4_096, 5_000, 7_777])
def test_a_cut_body_uses_the_room_it_has_and_never_more(max_chars: int) -> None:
    report = big_report()
    body = render_pr_body(report, max_chars=max_chars)
    assert len(body) <= max_chars
    assert "cut to fit GitHub's limit" in body
    assert parse_marker(body) == ("groq", report.digest())
    assert body.count("<details>") == body.count("</details>")
    # no more room was left unused than the next whole line would have needed
    longest = max(len(line) for line in render_pr_body(report, max_chars=10**9).splitlines())
    assert len(body) > max_chars - longest - 13


def test_a_body_that_fits_is_not_cut() -> None:
    report = big_report()
    whole = render_pr_body(report, max_chars=10**9)
    assert render_pr_body(report, max_chars=len(whole)) == whole
    assert "cut to fit" not in whole


def best_cut(report: RefreshReport, max_chars: int) -> str:
    """By brute force: the body with the most leading lines (of the shortest-text rendering)
    that fits, any open ``<details>`` closed, the note and the marker after them."""
    lines = _render(report, 40)
    tail = ["", marker(report), ""]
    for kept in range(len(lines), -1, -1):
        head = lines[:kept]
        still_open = head.count("<details>") - head.count("</details>")
        body = "\n".join([*head, *(["", "</details>"] * still_open), "", _CUT_NOTE, *tail])
        if len(body) <= max_chars:
            return body
    raise AssertionError("nothing fits")


@pytest.mark.parametrize("max_chars", range(1_500, 1_900, 7))
def test_the_cut_keeps_exactly_as_many_lines_as_fit(max_chars: int) -> None:
    report = big_report()
    assert render_pr_body(report, max_chars=max_chars) == best_cut(report, max_chars)


def kept_lines_body(report: RefreshReport, kept: int) -> str:
    """The cut body keeping the first ``kept`` lines (of the shortest-text rendering)."""
    head = _render(report, 40)[:kept]
    still_open = head.count("<details>") - head.count("</details>")
    tail = ["", marker(report), ""]
    return "\n".join([*head, *(["", "</details>"] * still_open), "", _CUT_NOTE, *tail])


# before, at and after the <details> block's first line (79), and around its last (143)
@pytest.mark.parametrize("kept", [60, 61, 78, 79, 80, 81, 100, 142, 143, 144, 145])
def test_a_body_exactly_as_long_as_the_limit_is_kept_and_one_character_less_is_cut(kept: int) -> None:
    # the limit is hit exactly, so that any miscounted character (a newline, the note, a
    # closing </details>) changes how many lines are kept
    report = big_report()
    exact = len(kept_lines_body(report, kept))
    assert render_pr_body(report, max_chars=exact) == best_cut(report, exact)
    assert render_pr_body(report, max_chars=exact - 1) == best_cut(report, exact - 1)
    assert len(render_pr_body(report, max_chars=exact - 1)) <= exact - 1


def test_a_body_one_character_over_the_limit_is_not_taken_whole() -> None:
    report = big_report()
    whole = render_pr_body(report, max_chars=10**9)
    shorter = render_pr_body(report, max_chars=len(whole) - 1)
    assert shorter != whole and len(shorter) <= len(whole) - 1
