"""Planning a refresh in memory: a refresh that would write an invalid catalog writes nothing and
says why, as :class:`CatalogInvalid` (exit 1) naming the first problem."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pytest

from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.core.refresh_model import RefreshReport
from freegin_gitops.errors import CatalogInvalid
from freegin_gitops.services.refresh import plan
from freegin_gitops.services.routing.router import Router
from tests.helpers import ROOT

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
ANSWER = (
    '{"workload": "chat", "recommendations": [{"model": "new-model", "reason": "Fast and free.", '
    '"cost": "free", "speed": "fast"}]}'
)


def context(files: Mapping[str, bytes]) -> plan.RefreshContext:
    router = Router(plan.compiled_for(files), environ={})  # no key: the model list is not fetched
    return plan.RefreshContext(router, {}, NOW)


def test_a_valid_refresh_plans_its_suggestion() -> None:
    files = read_catalog_dir(ROOT)
    request = plan.RefreshRequest("groq", "chat", ANSWER)
    made = plan.plan_refresh(files, "main", request, context(files))
    assert [(c.model, c.workload) for c in made.report.changes] == [("new-model", "chat")]
    assert list(made.changed) == ["catalog/suggestions/groq.yaml"]


def test_a_refresh_that_would_write_an_invalid_catalog_raises_catalog_invalid(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = read_catalog_dir(ROOT)

    def broken(base: Mapping[str, bytes], _report: RefreshReport, _now: dt.datetime) -> dict[str, bytes]:
        path = "catalog/suggestions/groq.yaml"
        return {**base, path: base[path].replace(b"status: pending", b"status: maybe", 1)}

    monkeypatch.setattr(plan, "apply_refresh", broken)
    with pytest.raises(CatalogInvalid) as caught:
        plan.plan_refresh(files, "main", plan.RefreshRequest("groq", "chat", ANSWER), context(files))
    assert caught.value.problems and caught.value.problems[0].file == "catalog/suggestions/groq.yaml"
    assert str(caught.value).startswith(
        "the refreshed catalog would be invalid (catalog/suggestions/groq.yaml:"
    )
    assert str(caught.value).endswith("; nothing was written")
