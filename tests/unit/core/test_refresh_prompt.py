"""The refresh prompt is the reviewed template filled with the provider's context."""

from __future__ import annotations

import datetime as dt
import string

from freegin_gitops.core.catalog import ApiSettings, Hints, ModelEntry, Provider, Workload
from freegin_gitops.core.refresh_prompt import render_prompt
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
    assert set(string.Template(TEMPLATE).get_identifiers()) >= {"provider", "workloads", "active", "shape"}


def test_the_prompt_carries_provider_constraints_active_models_and_usage():
    stats = {("groq", "llama-3.3-70b", "chat"): UsageStats(40, 38, 812.0, 1900.0, "2026-11-24T10:00:00Z")}
    text = render(stats)
    assert "**Groq**" in text and "https://api.groq.com/openai/v1" in text
    assert "answer within 8000 ms" in text and "context window at least 32768 tokens" in text
    assert "Prefer fast." in text
    assert "`chat`: `llama-3.3-70b` (context 131072); usage: 40 calls, 95% success, mean 812 ms" in text
    assert "`code`: `llama-3.3-70b` (context 131072); usage: no calls recorded" in text
    assert "old" not in text.split("## What to return")[0].split("## Active models")[1]
    assert "up to 3 recommendations" in text
    assert '"workload": "chat"' in text
