"""Read the inputs of the generated documents and render them; ``__main__`` writes or checks them.

Inputs: the click app, the package version, ``schemas/*.schema.json`` and the example documents
next to this module. Outputs, relative to the repository root: ``docs/freegin-ai.1`` and
``docs/catalog.md``. The wheel ships the man page as ``freegin_gitops/_bundled/man/freegin-ai.1``
and ``share/man/man1/freegin-ai.1`` (see pyproject.toml).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from freegin_gitops import __version__
from freegin_gitops.docs import catalog_reference, manpage

MAN_PAGE = Path("docs/freegin-ai.1")
CATALOG_REFERENCE = Path("docs/catalog.md")

MANUAL_DATE = "2026-11-25"
"""The date in the man page's ``.TH`` line: the release the page documents. A constant, not the
clock, so the page only changes when the CLI does; move it with ``__version__``."""

EXAMPLES = Path(__file__).resolve().parent / "examples"

# Schema file stem -> where files of that kind live (Markdown) and its example document.
KINDS: tuple[tuple[str, str, str], ...] = (
    ("provider", "`catalog/providers/<provider>.yaml`, one per provider", "provider.yaml"),
    (
        "suggestions",
        "`catalog/suggestions/<provider>.yaml`, one per provider with suggestions",
        "suggestions.yaml",
    ),
    ("workloads", "`catalog/workloads.yaml`", "workloads.yaml"),
    ("config", "`catalog/config.yaml`", "config.yaml"),
    (
        "recommendations",
        "the JSON in the refresh model's answer (or in `refresh-models --from-file F`); an answer may "
        "hold several such objects, one per workload, in prose or code fences",
        "recommendations.json",
    ),
    ("compiled", "written by `freegin-ai compile`, usually kept as `compiled/catalog.json`", "compiled.json"),
)


def render_man_page() -> str:
    from freegin_gitops.cli.main import app

    return manpage.render(app, version=__version__, date=MANUAL_DATE)


def file_kinds(schemas: Path) -> list[catalog_reference.FileKind]:
    """Every schema under ``schemas`` with its example; kinds not in :data:`KINDS` come last."""
    known = {stem for stem, _, _ in KINDS}
    extra = sorted(p.name.removesuffix(".schema.json") for p in schemas.glob("*.schema.json"))
    kinds = []
    for stem, location, example in [*KINDS, *((s, "-", "") for s in extra if s not in known)]:
        schema = json.loads((schemas / f"{stem}.schema.json").read_text(encoding="utf-8"))
        text = (EXAMPLES / example).read_text(encoding="utf-8") if example else ""
        language = "json" if example.endswith(".json") else "yaml"
        kinds.append(
            catalog_reference.FileKind(
                f"{stem}.schema.json", schema, location, text, language, _parse(text, language)
            )
        )
    return kinds


def _parse(text: str, language: str) -> Any:
    if not text:
        return None
    if language == "json":
        return json.loads(text)
    from freegin_gitops.adapters import yaml_read

    return yaml_read.parse(text)


def render_catalog_reference(schemas: Path) -> str:
    return catalog_reference.render(file_kinds(schemas))


def documents(root: Path) -> dict[Path, str]:
    """The generated documents of the repository at ``root``, by path relative to it."""
    return {
        MAN_PAGE: render_man_page(),
        CATALOG_REFERENCE: render_catalog_reference(root / "schemas"),
    }
