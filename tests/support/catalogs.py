"""Small catalogs written for tests: providers that point at local servers."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STARTER = ROOT / "catalog"


@dataclass
class LoopbackProvider:
    name: str
    base_url: str
    models: dict[str, list[str]]  # model id -> workloads
    key_env: str | None = None
    timeout_s: float | None = None
    retired: list[str] = field(default_factory=list)
    limits: str | None = None  # the provider's limits, as YAML flow text: "{requests_per_day: 50}"
    model_limits: dict[str, str] = field(default_factory=dict)  # model id -> its limits, likewise


def provider_yaml(p: LoopbackProvider) -> str:
    lines = [
        "# yaml-language-server: $schema=../../schemas/provider.schema.json",
        f"provider: {p.name}",
        f"name: {p.name.title()} (loopback)",
        "api:",
        "  style: openai",
        f"  base_url: {p.base_url}",
    ]
    if p.key_env:
        lines.append(f"  api_key_env: {p.key_env}")
    if p.timeout_s is not None:
        lines.append(f"  timeout_s: {p.timeout_s}")
    if p.limits:
        lines.append(f"limits: {p.limits}")
    lines.append("models:")
    for model, workloads in p.models.items():
        lines += [
            f"  - id: {model}",
            f"    workloads: [{', '.join(workloads)}]",
            "    status: active",
            "    added: 2026-11-01",
        ]
        if model in p.model_limits:
            lines.append(f"    limits: {p.model_limits[model]}")
    for model in p.retired:
        lines += [
            f"  - id: {model}",
            "    workloads: [chat]",
            "    status: retired",
            "    added: 2026-01-01",
            "    retired: 2026-06-01",
            "    reason: removed by the provider",
        ]
    return "\n".join(lines) + "\n"


def write_loopback_catalog(
    root: Path,
    providers: list[LoopbackProvider],
    *,
    refresh: tuple[str, str] | None = None,
    include_pending: bool = False,
    git_init: bool = True,
) -> Path:
    """A catalog repository at ``root`` whose providers are ``providers`` (in routing order)."""
    catalog = root / "catalog"
    (catalog / "providers").mkdir(parents=True)
    (catalog / "suggestions").mkdir()
    shutil.copy(STARTER / "workloads.yaml", catalog / "workloads.yaml")
    for p in providers:
        (catalog / "providers" / f"{p.name}.yaml").write_text(provider_yaml(p))
    first = providers[0]
    refresh_provider, refresh_model = refresh or (first.name, next(iter(first.models)))
    order = ", ".join(p.name for p in providers)
    (catalog / "config.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/config.schema.json\n"
        f"refresh: {{provider: {refresh_provider}, model: {refresh_model}, per_workload: 3}}\n"
        f"routing: {{include_pending: {str(include_pending).lower()}, "
        f"provider_order: [{order}], timeout_s: 5}}\n"
    )
    if git_init:
        subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
        subprocess.run(["git", "-C", str(root), "add", "catalog"], check=True)
        subprocess.run(["git", "-C", str(root), "commit", "-q", "-m", "loopback catalog"], check=True)
    return root
