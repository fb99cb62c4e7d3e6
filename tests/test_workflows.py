"""This repository's own workflows and hook manifest pass the checks the workflows ``init``
writes pass (they also test the tool, so CI catches a workflow broken by hand)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.helpers import ROOT
from tests.support.workflow_linters import actionlint, check_jsonschema

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def test_the_workflows_pass_githubs_workflow_schema() -> None:
    done = check_jsonschema(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_workflows_pass_actionlint() -> None:
    done = actionlint(WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_hook_manifest_is_valid_for_pre_commit() -> None:
    exe = Path(sys.executable).with_name("pre-commit")
    done = subprocess.run(
        [str(exe), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_hook_passes_catalog_files_anywhere_in_the_repository() -> None:
    import re

    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    files = re.compile(hook["files"])
    assert hook.get("pass_filenames", True) and "--whole-catalog" in hook["entry"]
    matched = [
        p
        for p in (
            "catalog/providers/groq.yaml",
            "infra/ai/catalog/config.yaml",
            "catalog/providers/groq.yml",
            "schemas/provider.schema.json",
            "src/catalogue/x.yaml",
            "docs/catalog.md",
        )
        if files.search(p)
    ]
    assert matched == [
        "catalog/providers/groq.yaml",
        "infra/ai/catalog/config.yaml",
        "catalog/providers/groq.yml",
    ]


def test_no_provider_key_rides_on_the_pull_request_token() -> None:
    refresh = yaml.load((ROOT / ".github/workflows/refresh.yml").read_text(), Loader=yaml.BaseLoader)
    env = refresh["jobs"]["refresh"]["steps"][-1]["env"]
    assert [k for k, v in env.items() if "FREEGIN_PR_TOKEN" in v] == ["GITHUB_TOKEN"]
    assert env["GITHUB_MODELS_TOKEN"] == "${{ github.token }}"
    assert refresh["permissions"]["models"] == "read"
