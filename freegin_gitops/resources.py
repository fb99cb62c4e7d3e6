"""Where the package finds its schemas and the bundled starter catalog.

A wheel carries them under ``freegin_gitops/_bundled/``; a source checkout (or an editable
install) uses the repository's own top-level ``schemas/`` and ``catalog/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def bundled_root() -> Path:
    """The folder holding the bundled ``catalog/`` and ``schemas/``."""
    inside = _PACKAGE / "_bundled"
    if (inside / "schemas").is_dir():
        return inside
    return _PACKAGE.parent


def schemas_dir() -> Path:
    return bundled_root() / "schemas"


def schema_path(kind: str) -> Path:
    return schemas_dir() / f"{kind}.schema.json"


def template_path(name: str) -> Path:
    return _PACKAGE / "templates" / name
