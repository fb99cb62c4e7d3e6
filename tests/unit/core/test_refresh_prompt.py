"""The refresh prompt is the reviewed template filled with the provider's context."""

from __future__ import annotations

import datetime as dt
import string

from freegin_gitops.core.catalog import ApiSettings, Hints, ModelEntry, Provider, Workload
from freegin_gitops.core.model_list import ListedModel, PromptListing
from freegin_gitops.core.refresh_prompt import listing_text, render_prompt
from freegin_gitops.core.usage import UsageStats
from freegin_gitops.resources import template_path

TEMPLATE = template_path("refresh_prompt.md").read_text()
PROVIDER = Provider(
    id="groq",
    name="Groq",
    api=ApiSettings("openai", "https://api.groq.com/openai/v1"),
    models=(
        ModelEntry(
            "llama-3.3-70b", ("chat", "code"), "active", dt.date(2026, 1, 1), Hints(context_window=131072)
        ),
        ModelEntry("old", ("chat",), "retired", dt.date(2025, 1, 1), retired=dt.date(2026, 1, 1)),
    ),
)
WORKLOADS = [
    Workload(
        "chat", "General conversation.", max_latency_ms=8000, max_cost="free-quota", guidance="Prefer fast."
    ),
    Workload("code", "Write code.", min_context_window=32768),
]


def render(stats=None) -> str:
    return render_prompt(TEMPLATE, PROVIDER, WORKLOADS, stats or {}, 3, dt.date(2026, 11, 25))


def test_every_placeholder_is_filled():
    text = render()
    assert "$" not in text.replace("$$", "")
    identifiers = set(string.Template(TEMPLATE).get_identifiers())
    assert identifiers >= {"provider", "workloads", "active", "shape", "listed_models"}


def test_the_prompt_carries_provider_constraints_active_models_and_usage():
    stats = {("groq", "llama-3.3-70b", "chat"): UsageStats(40, 38, 812.0, 1900.0, "2026-11-24T10:00:00Z")}
    text = render(stats)
    assert "**Groq**" in text and "https://api.groq.com/openai/v1" in text
    assert "answer within 8000 ms" in text and "context window at least 32768 tokens" in text
    assert "Prefer fast." in text
    assert "`chat`: `llama-3.3-70b` (context 131072); usage: 40 calls, 95% success, mean 812 ms" in text
    assert "`code`: `llama-3.3-70b` (context 131072); usage: no calls recorded" in text
    assert "`old`" not in text.split("## Models the provider serves")[0].split("## Active models")[1]
    assert "up to 3 recommendations" in text
    assert '"workload": "chat"' in text


LISTING = PromptListing(
    (ListedModel("new-model", dt.date(2026, 10, 1), 131072), ListedModel("plain")), new=5, total=9
)


def test_the_prompt_carries_the_listed_models_to_choose_among():
    text = render_prompt(TEMPLATE, PROVIDER, WORKLOADS, {}, 3, dt.date(2026, 11, 25), LISTING)
    section = text.split("## Models the provider serves that the catalog does not hold yet", 1)[1]
    section = section.split("## What to return", 1)[0]
    assert (
        "2 of the 5 model(s) the provider lists (GET https://api.groq.com/openai/v1/models, 9 in all)"
        in section
    )
    assert "newest first; 3 more not shown. Choose among these ids, exactly as written" in section
    assert "- `new-model` (listed since 2026-10-01, context 131072)\n- `plain`" in section
    assert "Choose among the models the provider lists" in text  # the template says so too


def test_without_a_list_the_prompt_says_it_could_not_be_fetched():
    section = listing_text(None, "https://x/v1")
    assert section.startswith("The model list (GET https://x/v1/models) could not be fetched")
    assert "one it does not hold is not suggested" in section


def test_a_list_with_nothing_new_says_so():
    section = listing_text(PromptListing((), new=0, total=4), "https://x/v1")
    assert "holds every one of them already" in section and "return an empty list" in section


def test_an_undated_list_is_shown_in_the_providers_order():
    listing = PromptListing((ListedModel("b"), ListedModel("a")), new=2, total=2)
    assert "in the provider's order. Choose" in listing_text(listing, "https://x/v1")


def test_the_prompt_names_the_closed_vocabulary():
    text = render()
    assert (
        "exactly one of `free`, `free-quota`" in text and "exactly one of `fast`, `medium` or `slow`" in text
    )


def test_the_usage_of_a_model_is_given_in_full_with_the_day_it_was_last_used():
    stats = {("groq", "llama-3.3-70b", "chat"): UsageStats(40, 38, 812.0, 1900.0, "2026-11-24T10:00:00Z")}
    assert (
        "- `chat`: `llama-3.3-70b` (context 131072); usage: 40 calls, 95% success, mean 812 ms, "
        "p95 1900 ms, last used 2026-11-24\n"
    ) in render(stats)


def test_usage_figures_not_recorded_are_left_out():
    stats = {("groq", "llama-3.3-70b", "chat"): UsageStats(2, 0, None, None, None)}
    assert "- `chat`: `llama-3.3-70b` (context 131072); usage: 2 calls, 0% success\n" in render(stats)


def test_each_workload_line_gives_its_description_constraints_and_guidance():
    text = render()
    assert (
        "- `chat`: General conversation. Constraints: answer within 8000 ms; cost at most free-quota. "
        "Prefer fast.\n"
    ) in text
    assert "- `code`: Write code. Constraints: context window at least 32768 tokens.\n" in text


def test_the_answer_shape_is_shown_as_json_indented_by_two_spaces():
    text = render()
    assert '{\n  "workload": "chat",\n  "recommendations": [\n    {\n      "model": ' in text
