"""Where catalog files live in a repository, and what kind each one is (no dataclasses here:
commands that only need paths stay quick to start)."""

from __future__ import annotations

CATALOG_DIR = "catalog"
WORKLOADS_FILE = f"{CATALOG_DIR}/workloads.yaml"
CONFIG_FILE = f"{CATALOG_DIR}/config.yaml"
PROVIDERS_DIR = f"{CATALOG_DIR}/providers"
SUGGESTIONS_DIR = f"{CATALOG_DIR}/suggestions"
# The compiled catalog a repository may keep beside catalog/ (the router reads it when current).
COMPILED_FILE = "compiled/catalog.json"


def provider_file(provider: str) -> str:
    return f"{PROVIDERS_DIR}/{provider}.yaml"


def suggestions_file(provider: str) -> str:
    return f"{SUGGESTIONS_DIR}/{provider}.yaml"


def is_catalog_file(name: str) -> bool:
    """Whether a file named ``name`` (the last part of a path) is read as a catalog file: YAML,
    not hidden. A ``.yml`` file is read so that ``validate`` can say to rename it."""
    return not name.startswith(".") and name.endswith((".yaml", ".yml"))


def kind_of(path: str) -> str | None:
    """The schema kind of a repository-relative catalog path, or None for a stray file."""
    if path == WORKLOADS_FILE:
        return "workloads"
    if path == CONFIG_FILE:
        return "config"
    parts = path.split("/")
    if len(parts) == 3 and parts[2].endswith(".yaml"):
        if parts[:2] == PROVIDERS_DIR.split("/"):
            return "provider"
        if parts[:2] == SUGGESTIONS_DIR.split("/"):
            return "suggestions"
    return None


def modeline(kind: str, path: str) -> str:
    """The schema line a file of ``kind`` at ``path`` starts with (relative to the repo root)."""
    up = "../" * path.count("/")
    return f"# yaml-language-server: $schema={up}schemas/{kind}.schema.json"
