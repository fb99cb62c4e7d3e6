"""Arrows only point down: no module of the package imports from a higher layer.

The layers, lowest first: the package root (its version), the pure core (with the error hierarchy
it raises), the adapters (with the package's resource files), the services (catalog access below
edits and routing, which know nothing of each other, below refresh and serve), the commands, the
click CLI, and the tools on top (the docs generator, ``python -m``). Every import counts: at the
top of a module, inside a function (the lazy imports that keep start-up fast) and under
``TYPE_CHECKING``. A module may import from its own group or from a lower layer; two groups on one
layer may not import each other.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import ROOT

PACKAGE = ROOT / "freegin_gitops"

# (group, layer): the group of a module is the longest prefix of its name listed here.
GROUPS: dict[str, tuple[str, int]] = {
    "freegin_gitops": ("package", 0),
    "freegin_gitops.core": ("core", 1),
    "freegin_gitops.errors": ("core", 1),
    "freegin_gitops.adapters": ("adapters", 2),
    "freegin_gitops.resources": ("adapters", 2),
    "freegin_gitops.services": ("services", 3),
    "freegin_gitops.services.catalog": ("services.catalog", 3),
    "freegin_gitops.services.edits": ("services.edits", 4),
    "freegin_gitops.services.init": ("services.init", 4),
    "freegin_gitops.services.routing": ("services.routing", 4),
    "freegin_gitops.services.refresh": ("services.refresh", 5),
    "freegin_gitops.services.serve": ("services.serve", 5),
    "freegin_gitops.commands": ("commands", 6),
    "freegin_gitops.cli": ("cli", 7),
    "freegin_gitops.docs": ("tools", 8),
    "freegin_gitops.__main__": ("tools", 8),
}


def group_of(module: str) -> tuple[str, int]:
    """The group and layer of a module of the package (the longest listed prefix)."""
    parts = module.split(".")
    for end in range(len(parts), 0, -1):
        found = GROUPS.get(".".join(parts[:end]))
        if found is not None:
            return found
    raise KeyError(module)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    base = ROOT.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imports_of(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """``(line, module)`` for every import of a package module in ``source``, at any depth."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = module.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            else:
                base = node.module or ""
            for alias in node.names:
                name = f"{base}.{alias.name}"
                # ``from pkg import module`` imports the module; ``from module import name`` the module
                yield node.lineno, name if _is_module(name) else base


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    """Every import in ``source`` (the module ``module``) that points up or sideways."""
    group, layer = group_of(module)
    found = []
    for line, target in imports_of(source, module, is_package):
        if target != "freegin_gitops" and not target.startswith("freegin_gitops."):
            continue
        target_group, target_layer = group_of(target)
        if target_group == group or target_layer < layer:
            continue
        direction = "a higher" if target_layer > layer else "another group on the same"
        found.append(f"{module}:{line} imports {target} ({target_group}, {direction} layer than {group})")
    return found


def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for path in package_modules():
        try:
            group_of(module_name(path))
        except KeyError:
            unplaced.append(module_name(path))
    assert unplaced == [], "add these to GROUPS in tests/test_layers.py"


@pytest.mark.parametrize("path", package_modules(), ids=lambda p: module_name(p))
def test_no_module_imports_from_a_higher_layer(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert violations(source, module_name(path), path.name == "__init__.py") == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("freegin_gitops.core.routing", "from freegin_gitops.adapters import usage_db", "adapters"),
        ("freegin_gitops.core.routing", "import freegin_gitops.services.routing.router", "services.routing"),
        (
            "freegin_gitops.adapters.files",
            "def f():\n    from freegin_gitops.services.catalog.paths import cache_dir\n",
            "services.catalog",
        ),
        (
            "freegin_gitops.services.catalog.repo",
            "if TYPE_CHECKING:\n    from freegin_gitops.services.routing.router import Router\n",
            "services.routing",
        ),
        ("freegin_gitops.services.edits.session", "from ..routing import router", "services.routing"),
        ("freegin_gitops.commands.route", "from freegin_gitops.cli.main import app", "cli"),
    ],
)
def test_an_upward_or_sideways_import_is_reported(module: str, source: str, expected: str) -> None:
    [found] = violations(source, module)
    assert f"({expected}," in found and found.startswith(f"{module}:")


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("freegin_gitops.services.refresh.plan", "from freegin_gitops.services.routing.router import Router"),
        ("freegin_gitops.services.refresh.plan", "from freegin_gitops.core.answers import parse_answer"),
        ("freegin_gitops.cli.main", "from freegin_gitops.commands import route"),
        ("freegin_gitops.core.answers", "from freegin_gitops.errors import AnswerInvalid\nimport json"),
        ("freegin_gitops.adapters.github.pulls", "from freegin_gitops import __version__"),
        ("freegin_gitops.services.edits.session", "from .workspace import EditResult"),
    ],
)
def test_a_downward_or_sibling_import_is_allowed(module: str, source: str) -> None:
    assert violations(source, module) == []


MAX_LINES = 400  # STYLE.md: aim for 50-300 lines, split before 500; the bar is 400


def test_no_module_is_over_400_lines() -> None:
    long = {
        module_name(p): n for p in package_modules() if (n := len(p.read_bytes().splitlines())) > MAX_LINES
    }
    assert long == {}
