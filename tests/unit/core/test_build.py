"""Valid catalog documents into the typed catalog: every field kept, the documented defaults."""

from __future__ import annotations

import datetime as dt

from freegin_gitops.core.build import build_catalog
from freegin_gitops.core.catalog import (
    Hints,
    ModelRef,
    RefreshSettings,
    RetiredWorkload,
    RoutingPolicy,
    SuggestionSource,
)
from tests.documents import CONFIG, GROQ, SUGGESTIONS, catalog, model, provider, suggestion


def test_a_config_naming_only_the_refresh_model_gets_the_documented_defaults() -> None:
    # docs/catalog.md: per_workload 3, timeout_s 60, concurrency 8, grace_days 14,
    # listed_in_prompt 100; routing include_pending false, timeout_s 30, max_attempts 8
    config = build_catalog(catalog(**{CONFIG: {"refresh": {"provider": "groq", "model": "llama"}}})).config
    assert config.refresh == RefreshSettings(
        provider="groq",
        model="llama",
        per_workload=3,
        fallback=(),
        timeout_s=60.0,
        concurrency=8,
        grace_days=14,
        listed_in_prompt=100,
    )
    assert config.routing == RoutingPolicy(
        include_pending=False, provider_order=(), timeout_s=30.0, max_attempts=8
    )
    assert dict(config.defaults) == {}


def test_every_config_setting_given_is_kept() -> None:
    raw = {
        "refresh": {
            "provider": "groq",
            "model": "llama",
            "per_workload": 5,
            "fallback": [{"provider": "gemini", "model": "flash"}],
            "timeout_s": 12,
            "concurrency": 2,
            "grace_days": 0,
            "listed_in_prompt": 7,
        },
        "routing": {
            "include_pending": True,
            "provider_order": ["gemini", "groq"],
            "timeout_s": 9,
            "max_attempts": 1,
        },
        "defaults": {"code": [{"provider": "groq", "model": "qwen"}]},
    }
    config = build_catalog(catalog(**{CONFIG: raw})).config
    assert config.refresh == RefreshSettings(
        "groq", "llama", 5, (ModelRef("gemini", "flash"),), 12.0, 2, 0, 7
    )
    assert config.routing == RoutingPolicy(True, ("gemini", "groq"), 9.0, 1)
    assert dict(config.defaults) == {"code": (ModelRef("groq", "qwen"),)}


def test_a_saved_answers_only_config_has_no_refresh_model() -> None:
    config = build_catalog(catalog(**{CONFIG: {"refresh": {}}})).config
    assert (config.refresh.provider, config.refresh.model) == (None, None)


def test_model_dates_and_lifecycle_fields_are_parsed() -> None:
    retired = model(
        "old",
        "chat",
        status="retired",
        retired="2026-11-25",
        reason="shut down",
        retired_workloads=[{"workload": "code", "retired": "2026-11-21", "reason": "worse"}],
    )
    deprecated = model(
        "dep", status="deprecated", deprecated="2026-11-22", successor="new", missing_since="2026-11-23"
    )
    plain = model("new", hints={"context_window": 8192, "speed": "fast"}, name="New one")
    documents = catalog(**{GROQ: provider("groq", retired, deprecated, plain)})
    old, dep, new = build_catalog(documents).providers["groq"].models
    assert (old.added, old.retired, old.reason, old.retired_workloads) == (
        dt.date(2026, 11, 20),
        dt.date(2026, 11, 25),
        "shut down",
        (RetiredWorkload("code", dt.date(2026, 11, 21), "worse"),),
    )
    assert (dep.deprecated, dep.successor, dep.missing_since, dep.retired) == (
        dt.date(2026, 11, 22),
        "new",
        dt.date(2026, 11, 23),
        None,
    )
    assert (new.deprecated, new.missing_since, new.retired, new.retired_workloads) == (None, None, None, ())
    assert (new.name, new.hints, new.workloads) == (
        "New one",
        Hints(context_window=8192, speed="fast"),
        ("chat",),
    )


def test_provider_settings_and_limits_are_kept() -> None:
    api = {
        "style": "openai",
        "base_url": "https://openrouter.ai/api/v1",
        "api_key_env": "OPENROUTER_API_KEY",
        "headers": {"X-Title": "freegin-ai", "HTTP-Referer": "https://example.org"},
        "timeout_s": 45,
    }
    limited = model("m", limits={"requests_per_day": 50})
    raw = provider(
        "groq", limited, api=api, limits={"requests_per_minute": 30}, homepage="https://h", notes="n"
    )
    built = build_catalog(catalog(**{GROQ: raw})).providers["groq"]
    assert (built.id, built.name, built.homepage, built.notes, dict(built.limits)) == (
        "groq",
        "Groq",
        "https://h",
        "n",
        {"requests_per_minute": 30},
    )
    assert (built.api.style, built.api.base_url, built.api.api_key_env, built.api.timeout_s) == (
        "openai",
        "https://openrouter.ai/api/v1",
        "OPENROUTER_API_KEY",
        45,
    )
    assert built.api.headers == (("HTTP-Referer", "https://example.org"), ("X-Title", "freegin-ai"))
    assert dict(built.models[0].limits) == {"requests_per_day": 50}


def test_providers_are_keyed_by_their_id_and_suggestions_by_their_file() -> None:
    documents = catalog(**{"catalog/suggestions/gemini.yaml": {"suggestions": [suggestion("pro", "chat")]}})
    built = build_catalog(documents)
    assert (sorted(built.providers), sorted(built.suggestions)) == (["gemini", "groq"], ["gemini", "groq"])
    assert [(s.provider, s.model) for s in built.suggestions["gemini"]] == [("gemini", "pro")]
    assert built.providers["gemini"].models[0].id == "flash"


def test_documents_outside_the_catalog_folders_are_not_providers() -> None:
    documents = catalog(**{"providers/groq.yaml": provider("stray"), "catalog/suggestionsx/a.yaml": {}})
    assert sorted(build_catalog(documents).providers) == ["gemini", "groq"]


def test_suggestion_fields_are_kept() -> None:
    raw = suggestion(
        "kimi",
        cost="free",
        speed="fast",
        verified=True,
        source={"provider": "gemini", "model": "flash"},
        hints={"reasoning": True},
        reason="why not",
        status="rejected",
        updated_at="2026-11-21T10:30:00Z",
    )
    [built] = build_catalog(catalog(**{SUGGESTIONS: {"suggestions": [raw]}})).suggestions["groq"]
    assert (built.provider, built.model, built.workload, built.rationale, built.status) == (
        "groq",
        "kimi",
        "code",
        "good",
        "rejected",
    )
    assert (built.created_at, built.updated_at) == (
        dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 11, 21, 10, 30, tzinfo=dt.UTC),
    )
    assert (built.cost, built.speed, built.verified, built.source, built.hints, built.reason) == (
        "free",
        "fast",
        True,
        SuggestionSource("gemini", "flash"),
        Hints(reasoning=True),
        "why not",
    )
    [bare] = build_catalog(catalog()).suggestions["groq"]
    assert (bare.source, bare.hints, bare.verified) == (None, Hints(), None)


def test_workloads_keep_their_settings() -> None:
    documents = catalog()
    documents["catalog/workloads.yaml"]["workloads"]["code"] = {
        "description": "Code",
        "max_latency_ms": 900,
        "max_cost": "free",
        "min_context_window": 32000,
        "guidance": "prefer coders",
    }
    code = build_catalog(documents).workloads["code"]
    assert (code.name, code.description, code.max_latency_ms, code.max_cost) == ("code", "Code", 900, "free")
    assert (code.min_context_window, code.guidance) == (32000, "prefer coders")
    assert sorted(build_catalog(documents).workloads) == ["chat", "code", "summarisation"]
