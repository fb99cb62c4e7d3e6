"""Layout facts: which kind a catalog path is, its schema line, which files are catalog files."""

from __future__ import annotations

import pytest

from freegin_gitops.core.layout import is_catalog_file, kind_of, modeline, provider_file, suggestions_file


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("catalog/workloads.yaml", "workloads"),
        ("catalog/config.yaml", "config"),
        ("catalog/providers/groq.yaml", "provider"),
        ("catalog/suggestions/groq.yaml", "suggestions"),
        ("catalog/providers/groq.yml", None),
        ("catalog/providers/extra/groq.yaml", None),
        ("catalog/groq.yaml", None),
    ],
)
def test_kind_of(path: str, kind: str | None) -> None:
    assert kind_of(path) == kind


@pytest.mark.parametrize(
    ("kind", "path", "line"),
    [
        ("provider", "catalog/providers/groq.yaml", "$schema=../../schemas/provider.schema.json"),
        ("config", "catalog/config.yaml", "$schema=../schemas/config.schema.json"),
    ],
)
def test_modeline_is_relative_to_the_file(kind: str, path: str, line: str) -> None:
    assert modeline(kind, path) == f"# yaml-language-server: {line}"


@pytest.mark.parametrize(
    ("name", "read"),
    [
        ("groq.yaml", True),
        ("groq.yml", True),  # read, so that validate can say to rename it
        (".groq.yaml", False),
        ("groq.yaml~", False),
        ("groq.json", False),
        ("README.md", False),
    ],
)
def test_is_catalog_file(name: str, read: bool) -> None:
    assert is_catalog_file(name) is read


def test_where_a_providers_files_live() -> None:
    assert provider_file("groq") == "catalog/providers/groq.yaml"
    assert suggestions_file("groq") == "catalog/suggestions/groq.yaml"
    assert kind_of(provider_file("groq")) == "provider" and kind_of(suggestions_file("x")) == "suggestions"
