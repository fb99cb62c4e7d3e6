"""Where catalog files live in a repository (no dataclasses here: commands that only need paths
stay quick to start)."""

from __future__ import annotations

WORKLOADS_FILE = "catalog/workloads.yaml"
CONFIG_FILE = "catalog/config.yaml"
PROVIDERS_DIR = "catalog/providers"
SUGGESTIONS_DIR = "catalog/suggestions"


def provider_file(provider: str) -> str:
    return f"{PROVIDERS_DIR}/{provider}.yaml"


def suggestions_file(provider: str) -> str:
    return f"{SUGGESTIONS_DIR}/{provider}.yaml"
