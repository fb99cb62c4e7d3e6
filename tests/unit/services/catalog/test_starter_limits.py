"""The starter catalog states the free-tier limits the providers publish: every hosted provider
says where its limits come from and how they apply; a provider that limits per model gives each
active model its own (or says why not); approximate figures are said to be approximate."""

from __future__ import annotations

import re

import pytest

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.core.catalog import Catalog
from freegin_gitops.services.catalog.loading import load_files
from tests.helpers import ROOT

COUNTED = re.compile(r"^(requests|tokens)_per_(minute|hour|day)$")


@pytest.fixture(scope="module")
def starter() -> Catalog:
    return load_files(read_catalog_dir(ROOT)).require_catalog()


def test_every_hosted_provider_says_where_its_limits_come_from(starter: Catalog) -> None:
    hosted = [p for p in starter.providers.values() if p.api.api_key_env]
    assert len(hosted) >= 10
    for provider in hosted:
        assert str(provider.limits.get("source", "")).startswith("https://"), provider.id
        assert provider.limits.get("notes"), provider.id


@pytest.mark.parametrize("provider_id", ["cerebras", "gemini", "github-models", "groq", "nvidia"])
def test_a_provider_that_limits_per_model_gives_each_active_model_its_own(
    starter: Catalog, provider_id: str
) -> None:
    provider = starter.providers[provider_id]
    notes = str(provider.limits["notes"])
    assert "each model states" in notes
    for model in provider.models:
        if model.active and not any(COUNTED.match(k) for k in model.limits):
            assert model.id in notes, f"{provider_id}/{model.id} states no limits and the notes say not why"


def test_limits_shared_by_a_key_stand_on_the_provider(starter: Catalog) -> None:
    openrouter = starter.providers["openrouter"]
    assert (openrouter.limits["requests_per_minute"], openrouter.limits["requests_per_day"]) == (20, 50)
    assert all(not m.limits for m in openrouter.models)


def test_approximate_figures_are_said_to_be_approximate(starter: Catalog) -> None:
    approximate = sorted(
        p.id for p in starter.providers.values() if "approximate" in str(p.limits.get("notes", "")).lower()
    )
    assert approximate == ["gemini", "github-models", "groq", "mistral", "nvidia"]


def test_gemini_days_start_over_at_pacific_midnight(starter: Catalog) -> None:
    assert starter.providers["gemini"].limits["day_resets"] == "pacific-midnight"
