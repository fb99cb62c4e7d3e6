"""The compiled catalog: deterministic bytes, candidate order, and its own schema."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from freegin_gitops.adapters import schema_check
from freegin_gitops.adapters.catalog_dir import read_catalog_dir
from freegin_gitops.core.build import build_catalog
from freegin_gitops.core.catalog import Catalog
from freegin_gitops.core.compiled_document import (
    SCHEMA_VERSION,
    SourceInfo,
    comparable,
    compile_catalog,
    provider_rank,
    render,
)
from freegin_gitops.services.catalog.loading import load_files
from tests.documents import CONFIG, GROQ, SUGGESTIONS, catalog, model, provider, suggestion
from tests.helpers import ROOT, SCHEMAS

SOURCE = SourceInfo(content_sha256="0" * 64, commit="a" * 40, dirty=False)


def compiled(documents: dict[str, Any], source: SourceInfo = SOURCE) -> dict[str, Any]:
    return compile_catalog(build_catalog(documents), source)


def pairs(document: dict[str, Any], workload: str, part: str = "active") -> list[tuple[str, str]]:
    return [(c["provider"], c["model"]) for c in document["candidates"][workload][part]]


def starter() -> Catalog:
    return load_files(read_catalog_dir(ROOT)).require_catalog()


def four_providers(order: list[str]) -> dict[str, Any]:
    documents = catalog(
        **{
            f"catalog/providers/{name}.yaml": provider(name, model(f"{name}-1"), model(f"{name}-2"))
            for name in ("zeta", "alpha", "mid", "beta")
        }
    )
    for path in ("catalog/providers/groq.yaml", "catalog/providers/gemini.yaml", SUGGESTIONS):
        documents.pop(path)
    documents[CONFIG] = {
        "refresh": {"provider": "alpha", "model": "alpha-1"},
        "routing": {"provider_order": order},
    }
    return documents


def test_same_catalog_same_bytes() -> None:
    assert render(compile_catalog(starter(), SOURCE)) == render(compile_catalog(starter(), SOURCE))


def test_rendering_is_utf8_json_with_a_trailing_newline() -> None:
    documents = catalog(**{GROQ: provider("groq", model("llama", name="Llamá"))})
    data = render(compiled(documents))
    assert (data.endswith(b"}\n"), json.loads(data)["schema_version"]) == (True, SCHEMA_VERSION)


def test_providers_in_routing_order_first_then_alphabetically() -> None:
    document = compiled(four_providers(["zeta", "mid"]))
    providers = list(dict.fromkeys(p for p, _ in pairs(document, "chat")))
    assert providers == ["zeta", "mid", "alpha", "beta"]


def test_models_keep_catalog_order_within_a_provider() -> None:
    documents = catalog(**{GROQ: provider("groq", model("second"), model("first"), model("third"))})
    assert pairs(compiled(documents), "chat")[:3] == [
        ("groq", "second"),
        ("groq", "first"),
        ("groq", "third"),
    ]


def test_routing_order_is_recorded_with_every_provider() -> None:
    assert compiled(four_providers(["zeta"]))["routing"]["provider_order"] == [
        "zeta",
        "alpha",
        "beta",
        "mid",
    ]


def test_provider_rank_ignores_unknown_names() -> None:
    assert provider_rank(["ghost", "b"], ["c", "a", "b"]) == ["b", "a", "c"]


def test_candidates_only_serve_their_workload() -> None:
    assert pairs(compiled(catalog()), "code") == [("groq", "qwen")]


def test_retired_models_are_not_candidates() -> None:
    old = model("old", status="retired", retired="2026-11-21")
    documents = catalog(**{GROQ: provider("groq", old, model("new"))})
    assert ("groq", "old") not in pairs(compiled(documents), "chat")


def test_a_retired_workload_is_not_a_candidate() -> None:
    gone = [{"workload": "code", "retired": "2026-11-21"}]
    documents = catalog(**{GROQ: provider("groq", model("m", "chat", retired_workloads=gone))})
    assert ("groq", "m") not in pairs(compiled(documents), "code")


def test_deprecated_models_are_listed_apart_in_routing_order_with_their_reason() -> None:
    old = model("old", status="deprecated", deprecated="2026-11-22", reason="gone", successor="new")
    older = model("older", status="deprecated", deprecated="2026-11-21")
    documents = catalog(
        **{
            GROQ: provider("groq", old, model("new")),
            "catalog/providers/gemini.yaml": provider("gemini", older, model("flash")),
        }
    )
    document = compiled(documents)
    assert pairs(document, "chat") == [("groq", "new"), ("gemini", "flash")]
    assert pairs(document, "chat", "deprecated") == [("groq", "old"), ("gemini", "older")]
    first, second = document["candidates"]["chat"]["deprecated"]
    assert first == {
        "provider": "groq",
        "model": "old",
        "hints": {},
        "deprecated": "2026-11-22",
        "reason": "gone",
        "successor": "new",
    }
    assert second == {"provider": "gemini", "model": "older", "hints": {}, "deprecated": "2026-11-21"}
    assert pairs(document, "code", "deprecated") == []
    assert schema_check.check("compiled", document, "compiled.json") == []


def test_pending_suggestions_are_only_in_pending() -> None:
    document = compiled(catalog())
    assert (pairs(document, "code", "pending"), ("groq", "kimi") in pairs(document, "code")) == (
        [("groq", "kimi")],
        False,
    )


@pytest.mark.parametrize("status", ["adopted", "rejected"])
def test_reviewed_suggestions_are_not_pending(status: str) -> None:
    documents = catalog(**{SUGGESTIONS: {"suggestions": [suggestion("kimi", status=status)]}})
    assert pairs(compiled(documents), "code", "pending") == []


def test_pending_suggestions_keep_verified() -> None:
    documents = catalog(**{SUGGESTIONS: {"suggestions": [suggestion("kimi", verified=False)]}})
    assert compiled(documents)["candidates"]["code"]["pending"][0]["verified"] is False


def test_defaults_are_copied_per_workload() -> None:
    document = compiled(catalog())
    assert (pairs(document, "chat", "defaults"), pairs(document, "code", "defaults")) == (
        [("gemini", "flash")],
        [],
    )


def test_source_is_recorded() -> None:
    assert compiled(catalog())["source"] == {
        "commit": "a" * 40,
        "dirty": False,
        "content_sha256": "0" * 64,
    }


def test_comparable_ignores_commit_and_dirty() -> None:
    committed = compiled(catalog())
    elsewhere = compiled(catalog(), SourceInfo("0" * 64, commit=None, dirty=None))
    assert comparable(committed) == comparable(elsewhere)


def test_comparable_still_sees_the_content_hash() -> None:
    other = compiled(catalog(), SourceInfo("1" * 64, commit="a" * 40, dirty=False))
    assert comparable(compiled(catalog())) != comparable(other)


def test_comparable_does_not_change_its_argument() -> None:
    document = compiled(catalog())
    comparable(document)
    assert document["source"]["commit"] == "a" * 40


def test_compiled_starter_is_valid_per_python_jsonschema() -> None:
    schema = json.loads((SCHEMAS / "compiled.schema.json").read_text(encoding="utf-8"))
    document = json.loads(render(compile_catalog(starter(), SOURCE)))
    jsonschema.Draft202012Validator(schema).validate(document)


def test_compiled_starter_is_valid_per_our_checker() -> None:
    document = json.loads(render(compile_catalog(starter(), SOURCE)))
    assert schema_check.check("compiled", document, "compiled.json") == []


def test_compiled_starter_outside_git_is_valid() -> None:
    document = compile_catalog(starter(), SourceInfo("f" * 64))
    assert schema_check.check("compiled", document, "compiled.json") == []


def test_the_compiled_file_format_is_pinned() -> None:
    # the documented format: UTF-8 (not \u escapes), two-space indent, keys as given, newline at the end
    assert render({"b": {"name": "Llamá"}, "a": [1]}) == (
        b'{\n  "b": {\n    "name": "Llam\xc3\xa1"\n  },\n  "a": [\n    1\n  ]\n}\n'
    )


def test_provider_headers_and_api_settings_are_compiled() -> None:
    api = {
        "style": "openai",
        "base_url": "https://openrouter.ai/api/v1",
        "api_key_env": "OPENROUTER_API_KEY",
        "headers": {"X-Title": "freegin-ai", "HTTP-Referer": "https://example.org"},
        "timeout_s": 45,
    }
    documents = catalog(**{GROQ: provider("groq", model("llama"), api=api)})
    assert compiled(documents)["providers"]["groq"]["api"] == api


def test_a_provider_without_optional_api_settings_compiles_without_them() -> None:
    compiled_api = compiled(catalog())["providers"]["groq"]["api"]
    assert compiled_api == {"style": "openai", "base_url": "https://api.groq.example/v1"}


def test_models_own_limits_are_compiled_except_for_retired_models() -> None:
    limited = model("llama", limits={"requests_per_day": 50, "checked": "2026-11-20"})
    gone = model("old", status="retired", retired="2026-11-21", limits={"requests_per_day": 5})
    documents = catalog(**{GROQ: provider("groq", limited, gone, model("plain"))})
    groq = compiled(documents)["providers"]["groq"]
    assert groq["model_limits"] == {"llama": {"requests_per_day": 50, "checked": "2026-11-20"}}


def test_a_provider_whose_models_have_no_limits_of_their_own_has_no_model_limits() -> None:
    assert "model_limits" not in compiled(catalog())["providers"]["groq"]


def test_a_saved_answers_only_catalog_compiles_without_a_refresh_model() -> None:
    documents = catalog(**{CONFIG: {"refresh": {}}})
    refresh = compiled(documents)["refresh"]
    assert ("provider" in refresh, "model" in refresh, refresh["per_workload"]) == (False, False, 3)
    assert compiled(catalog())["refresh"]["provider"] == "groq"
