"""The files ``init`` writes besides the catalog: pins, workflows, pre-commit configuration."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from freegin_gitops.core.catalog import ApiSettings, Provider
from freegin_gitops.core.starter import (
    EMPTY_CONFIG,
    KeyVariable,
    Pin,
    StarterLayout,
    ToolSource,
    hook_files,
    is_commit_id,
    layout_for,
    pin_for,
    pre_commit_config,
    refresh_workflow,
    validate_workflow,
)

COMMIT = "0123456789abcdef0123456789abcdef01234567"
SOURCE = ToolSource("0.1.0", "https://github.com/freegin-ai/freegin-ai", COMMIT)
KEYS = StarterLayout(
    "", (KeyVariable("GROQ_API_KEY"), KeyVariable("GITHUB_MODELS_TOKEN", github_models=True))
)


def provider(pid: str, base_url: str, key: str | None) -> Provider:
    return Provider(pid, pid, ApiSettings("openai", base_url, key), ())


def load(text: str) -> Any:
    return yaml.load(text, Loader=yaml.BaseLoader)  # no YAML 1.1 surprises: "on" stays a key


def steps(workflow: Any) -> list[dict[str, Any]]:
    (job,) = workflow["jobs"].values()
    return list(job["steps"])


def pinned(source: ToolSource = SOURCE) -> Pin:
    pin = pin_for(source)
    assert pin is not None
    return pin


def test_a_known_commit_pins_pip_and_pre_commit_to_it() -> None:
    pin = pinned()
    assert (pin.requirement, pin.repository, pin.rev) == (
        f"freegin-ai @ git+https://github.com/freegin-ai/freegin-ai@{COMMIT}",
        "https://github.com/freegin-ai/freegin-ai",
        COMMIT,
    )
    assert pin.label == "freegin-ai 0.1.0, commit 0123456789ab"


def test_without_a_commit_there_is_no_pin_not_a_version_that_names_no_release() -> None:
    """No release exists, and freegin-ai==VERSION would be whatever PyPI holds under that name."""
    assert pin_for(ToolSource("0.2.0", "https://github.com/x/y")) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [(COMMIT, True), (COMMIT.upper(), False), (COMMIT[:12], False), ("v0.1.0", False), (None, False)],
)
def test_only_a_full_lowercase_commit_id_is_a_pin(value: object, expected: bool) -> None:
    assert is_commit_id(value) is expected


def test_a_fork_is_pinned_where_it_came_from() -> None:
    pin = pinned(ToolSource("0.1.0", "https://github.com/someone/fork", COMMIT))
    assert pin.requirement.startswith("freegin-ai @ git+https://github.com/someone/fork@")


@pytest.mark.parametrize("render", [validate_workflow, refresh_workflow])
def test_both_workflows_install_the_pinned_tool_without_a_cache(render: Any) -> None:
    found = steps(load(render(pinned(), KEYS)))
    install = next(s for s in found if s.get("name", "").startswith("Install"))
    setup = next(s for s in found if s.get("uses", "").startswith("actions/setup-python"))
    assert install["run"] == f'python -m pip install "{pinned().requirement}"'
    assert "cache" not in setup.get("with", {})
    assert not any("pytest" in s.get("run", "") or "pip install ." in s.get("run", "") for s in found)


def test_validate_keeps_no_credentials_and_reads_only() -> None:
    workflow = load(validate_workflow(pinned(), KEYS))
    checkout = steps(workflow)[0]
    assert (checkout["with"]["persist-credentials"], workflow["permissions"]) == (
        "false",
        {"contents": "read"},
    )


def test_validate_runs_on_catalog_changes_and_by_hand() -> None:
    on = load(validate_workflow(pinned(), KEYS))["on"]
    assert on["pull_request"]["paths"][:3] == ["catalog/**", "compiled/**", "schemas/**"]
    assert "workflow_dispatch" in on


def test_validate_checks_annotations_and_the_kept_compiled_file() -> None:
    runs = [s.get("run", "") for s in steps(load(validate_workflow(pinned(), KEYS)))]
    assert "freegin-ai validate --format github" in runs
    assert any("compile --output compiled/catalog.json --check" in r for r in runs)


def test_a_catalog_in_a_sub_folder_runs_there_and_watches_its_paths() -> None:
    layout = StarterLayout("infra/ai/", KEYS.variables)
    for render in (validate_workflow, refresh_workflow):
        (job,) = load(render(pinned(), layout))["jobs"].values()
        assert job["defaults"]["run"]["working-directory"] == "infra/ai"
    paths = load(validate_workflow(pinned(), layout))["on"]["pull_request"]["paths"]
    assert paths[:3] == ["infra/ai/catalog/**", "infra/ai/compiled/**", "infra/ai/schemas/**"]


def test_at_the_root_no_working_directory_is_set() -> None:
    (job,) = load(refresh_workflow(pinned(), KEYS))["jobs"].values()
    assert "defaults" not in job


def refresh_env() -> dict[str, str]:
    return dict(steps(load(refresh_workflow(pinned(), KEYS)))[-1]["env"])


def test_refresh_keeps_the_pull_request_token_apart_from_provider_keys() -> None:
    assert "          # Provider keys, each from the repository secret of the same name:" in (
        refresh_workflow(pinned(), KEYS).splitlines()
    )
    env = refresh_env()
    assert env["GITHUB_TOKEN"] == "${{ secrets.FREEGIN_PR_TOKEN || github.token }}"
    assert env["GROQ_API_KEY"] == "${{ secrets.GROQ_API_KEY }}"
    assert env["GITHUB_MODELS_TOKEN"] == "${{ github.token }}"
    assert [k for k, v in env.items() if "FREEGIN_PR_TOKEN" in v] == ["GITHUB_TOKEN"]


def test_refresh_pushes_with_the_checkout_credentials() -> None:
    checkout = steps(load(refresh_workflow(pinned(), KEYS)))[0]
    assert "persist-credentials" not in checkout["with"]
    assert checkout["with"]["token"] == "${{ secrets.FREEGIN_PR_TOKEN || github.token }}"
    assert checkout["with"]["fetch-depth"] == "0"


def test_models_read_only_when_github_models_is_used() -> None:
    with_models = load(refresh_workflow(pinned(), KEYS))["permissions"]
    without = load(refresh_workflow(pinned(), StarterLayout("", (KeyVariable("GROQ_API_KEY"),))))[
        "permissions"
    ]
    assert with_models == {"contents": "write", "pull-requests": "write", "models": "read"}
    assert without == {"contents": "write", "pull-requests": "write"}


def test_refresh_is_weekly_and_by_hand_with_push_and_pull_request() -> None:
    workflow = load(refresh_workflow(pinned(), KEYS))
    assert workflow["on"]["schedule"] == [{"cron": "23 6 * * 1"}]
    assert set(workflow["on"]["workflow_dispatch"]["inputs"]) == {"provider", "workload"}
    assert "args=(--push --open-pr)" in steps(workflow)[-1]["run"]


@pytest.mark.parametrize(
    "needle",
    [
        "Allow GitHub Actions to",
        "FREEGIN_PR_TOKEN",
        "60 days",
    ],
)
def test_refresh_explains_its_setup(needle: str) -> None:
    assert needle in refresh_workflow(pinned(), KEYS)


@pytest.mark.parametrize(
    ("prefix", "files"), [("", r"^catalog/.+\.ya?ml$"), ("infra/ai/", r"^infra/ai/catalog/.+\.ya?ml$")]
)
def test_the_pre_commit_configuration_pins_the_hook_to_this_catalogs_files(prefix: str, files: str) -> None:
    config = load(pre_commit_config(pinned(), StarterLayout(prefix)))
    hook = {"id": "freegin-validate", "files": files}
    assert config == {"repos": [{"repo": pinned().repository, "rev": COMMIT, "hooks": [hook]}]}


@pytest.mark.parametrize(
    ("path", "matched"),
    [
        ("infra/ai/catalog/providers/groq.yaml", True),
        ("infra/ai/catalog/workloads.yml", True),
        ("src/shop/catalog/items.yaml", False),
        ("infra/ai/catalog.yaml", False),
        ("xinfra/ai/catalog/config.yaml", False),
        ("infra/ai/catalog/providers/groq.yaml.orig", False),
    ],
)
def test_the_hook_pattern_takes_only_this_catalogs_yaml(path: str, matched: bool) -> None:
    assert bool(re.search(hook_files(StarterLayout("infra/ai/")), path)) is matched


def test_an_odd_folder_name_is_escaped_and_quoted() -> None:
    layout = StarterLayout("it's [ai]+/")
    (hook,) = load(pre_commit_config(pinned(), layout))["repos"][0]["hooks"]
    assert re.search(hook["files"], "it's [ai]+/catalog/config.yaml")
    assert not re.search(hook["files"], "it's aa/catalog/config.yaml")


def test_layout_lists_each_variable_once_with_github_models_apart() -> None:
    layout = layout_for(
        "",
        [
            provider("cloudflare", "https://api.cloudflare.com/${CLOUDFLARE_ACCOUNT_ID}/ai/v1", "CF_KEY"),
            provider("github-models", "https://models.github.ai/inference", "GITHUB_MODELS_TOKEN"),
            provider("ollama", "http://localhost:11434/v1", None),
            provider("other", "https://x.example/${CLOUDFLARE_ACCOUNT_ID}", "CF_KEY"),
        ],
    )
    assert layout.variables == (
        KeyVariable("CF_KEY"),
        KeyVariable("CLOUDFLARE_ACCOUNT_ID"),
        KeyVariable("GITHUB_MODELS_TOKEN", github_models=True),
    )
    assert layout.uses_github_models


def test_a_layout_without_providers_asks_for_no_secrets() -> None:
    text = refresh_workflow(pinned(), layout_for("", []))
    assert "secrets.GROQ" not in text.replace("# example: GROQ_API_KEY: ${{ secrets.GROQ_API_KEY }}", "")
    assert "models: read" not in text


def test_the_empty_config_names_no_provider() -> None:
    config = yaml.safe_load(EMPTY_CONFIG)
    assert config == {"refresh": {"per_workload": 3}, "routing": {"include_pending": False}}


def test_a_source_is_clean_unless_its_record_says_otherwise() -> None:
    assert (ToolSource("1.0", "https://x.example/r", COMMIT).dirty, SOURCE.dirty) == (False, False)
