"""What ``freegin-ai init`` writes besides the catalog: the two GitHub workflows and the
pre-commit configuration of a repository that holds only the catalog, and the pin that makes
them install the exact tool that wrote them.

Plain text from plain data: no files, no git, no clock. The workflows install freegin-ai pinned
(pip from git at a commit; the package is not on PyPI) on a bare ``actions/setup-python`` (no
cache: a catalog repository has no requirements file to key one on), run the catalog's commands
from the folder that holds ``catalog/`` (a monorepo's ``infra/ai``), and keep the pull-request
token apart from the provider keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from freegin_gitops.core.catalog import Provider
from freegin_gitops.core.compiled_catalog import url_variables

PR_TOKEN_SECRET = "FREEGIN_PR_TOKEN"  # noqa: S105 - the name of a secret, not one
VALIDATE_WORKFLOW = ".github/workflows/validate.yml"
REFRESH_WORKFLOW = ".github/workflows/refresh.yml"
PRE_COMMIT_CONFIG = ".pre-commit-config.yaml"
HOOK_ID = "freegin-validate"
PYTHON_VERSION = "3.11"
CHECKOUT = "actions/checkout@v4"
SETUP_PYTHON = "actions/setup-python@v5"


@dataclass(frozen=True, slots=True)
class ToolSource:
    """Where the running freegin-ai came from: its version, the git repository and the commit it
    was built from (None when unknown), and whether that build had uncommitted changes."""

    version: str
    repository: str
    commit: str | None = None
    dirty: bool = False


@dataclass(frozen=True, slots=True)
class Pin:
    """How the written files install this tool: a pip requirement, and a pre-commit repo + rev,
    both pinned to one commit of the tool's git repository (there are no releases to pin to)."""

    requirement: str
    repository: str
    rev: str
    label: str  # "freegin-ai 0.1.0, commit 1a2b3c4d5e6f"


def is_commit_id(value: object) -> bool:
    """A full git commit id (40 lowercase hex digits): the only pin that never moves."""
    return isinstance(value, str) and len(value) == 40 and all(c in "0123456789abcdef" for c in value)


def pin_for(source: ToolSource) -> Pin | None:
    """Pin to the commit the tool was built from; None when it is not known (an install from an
    sdist or an archive): a version number would name a release that does not exist, or a
    package on PyPI that is not this project's."""
    if source.commit is None:
        return None
    return Pin(
        requirement=f"freegin-ai @ git+{source.repository}@{source.commit}",
        repository=source.repository,
        rev=source.commit,
        label=f"freegin-ai {source.version}, commit {source.commit[:12]}",
    )


@dataclass(frozen=True, slots=True)
class KeyVariable:
    """An environment variable a provider needs (its key, or a ``${VAR}`` of its base URL), and
    where the refresh workflow takes it from."""

    name: str
    github_models: bool = False  # the workflow's own token (with models: read), not a secret


@dataclass(frozen=True, slots=True)
class StarterLayout:
    """Where the catalog sits in its repository (``""`` or ``"infra/ai/"``) and what the refresh
    workflow must hand to it."""

    prefix: str
    variables: tuple[KeyVariable, ...] = ()

    @property
    def uses_github_models(self) -> bool:
        return any(v.github_models for v in self.variables)

    @property
    def folder(self) -> str:
        return self.prefix.rstrip("/")


GITHUB_MODELS_HOSTS = ("models.github.ai", "models.inference.ai.azure.com")


def is_github_models(provider: Provider) -> bool:
    """GitHub Models answers with the workflow's own token (``models: read``), not a secret."""
    return (urlsplit(provider.api.base_url).hostname or "") in GITHUB_MODELS_HOSTS


def layout_for(prefix: str, providers: Iterable[Provider]) -> StarterLayout:
    """The layout of a catalog at ``prefix`` with ``providers``: the variables their keys and base
    URLs need, each once, in provider order."""
    seen: dict[str, KeyVariable] = {}
    for provider in providers:
        names = [provider.api.api_key_env] if provider.api.api_key_env else []
        for name in [*names, *url_variables(provider.api.base_url)]:
            if name not in seen:
                seen[name] = KeyVariable(name, github_models=is_github_models(provider) and name in names)
    return StarterLayout(prefix, tuple(seen.values()))


EMPTY_CONFIG = """\
# yaml-language-server: $schema=../schemas/config.schema.json
# Name the model that answers refresh prompts once catalog/providers/ has its provider, e.g.
#   refresh: {provider: groq, model: openai/gpt-oss-120b, per_workload: 3}
# Until then refresh-models works only with saved answers (--from-file).
refresh:
  per_workload: 3
routing:
  include_pending: false
"""


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _working_directory(layout: StarterLayout) -> list[str]:
    if not layout.prefix:
        return []
    return ["    defaults:", "      run:", f"        working-directory: {_quoted(layout.folder)}"]


def _install(pin: Pin) -> list[str]:
    return [
        f"      - uses: {SETUP_PYTHON}",
        "        with:",
        f'          python-version: "{PYTHON_VERSION}"',
        "      - name: Install freegin-ai (pinned)",
        f"        run: python -m pip install {_quoted(pin.requirement)}",
    ]


def _header(lines: Sequence[str], pin: Pin) -> list[str]:
    return [
        *(f"# {line}" if line else "#" for line in lines),
        "#",
        f"# Written by `freegin-ai init` ({pin.label}); the Install step installs",
        "# exactly that tool. To upgrade, change its pin (and rev: in .pre-commit-config.yaml).",
    ]


def validate_workflow(pin: Pin, layout: StarterLayout) -> str:
    """``.github/workflows/validate.yml`` for a repository that keeps only the catalog."""
    base = layout.prefix
    lines = [
        *_header(
            [
                "Validates the freegin-ai catalog on every pull request that changes it (problems",
                "appear as annotations on the pull request's files), and on any branch by hand from",
                "the Actions tab (Run workflow): pull requests opened with a workflow's default token",
                "do not start workflows, so run it there for a refresh pull request, or give",
                f"refresh.yml the secret {PR_TOKEN_SECRET}.",
            ],
            pin,
        ),
        "name: validate catalog",
        "",
        "on:",
        "  pull_request:",
        "    paths:",
        f'      - "{base}catalog/**"',
        f'      - "{base}compiled/**"',
        f'      - "{base}schemas/**"',
        f'      - "{VALIDATE_WORKFLOW}"',
        "  workflow_dispatch:",
        "",
        "permissions:",
        "  contents: read",
        "",
        "concurrency:",
        "  group: validate-${{ github.ref }}",
        "  cancel-in-progress: true",
        "",
        "jobs:",
        "  validate:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 10",
        *_working_directory(layout),
        "    steps:",
        f"      - uses: {CHECKOUT}",
        "        with:",
        "          persist-credentials: false",
        *_install(pin),
        "      - name: Validate the catalog (annotations on the pull request's files)",
        "        run: freegin-ai validate --format github",
        "      - name: Check the compiled catalog is current",
        "        run: |",
        "          if [ -f compiled/catalog.json ]; then",
        "            freegin-ai compile --output compiled/catalog.json --check",
        "          else",
        '            echo "no compiled/catalog.json kept in this repository; nothing to check"',
        "          fi",
    ]
    return "\n".join(lines) + "\n"


def _key_lines(layout: StarterLayout) -> list[str]:
    secrets = [v for v in layout.variables if not v.github_models]
    lines = []
    if secrets:
        lines.append("          # Provider keys, each from the repository secret of the same name:")
        lines += [f"          {v.name}: ${{{{ secrets.{v.name} }}}}" for v in secrets]
    else:
        lines += [
            "          # Provider keys, each from the repository secret of the same name, for",
            "          # example: GROQ_API_KEY: ${{ secrets.GROQ_API_KEY }}",
        ]
    for v in layout.variables:
        if v.github_models:
            lines += [
                "          # GitHub Models takes this workflow's own token (models: read above):",
                f"          {v.name}: ${{{{ github.token }}}}",
            ]
    return lines


def refresh_workflow(pin: Pin, layout: StarterLayout) -> str:
    """``.github/workflows/refresh.yml`` for a repository that keeps only the catalog."""
    permissions = ["  contents: write", "  pull-requests: write"]
    if layout.uses_github_models:
        permissions.append("  models: read")
    lines = [
        *_header(
            [
                "Weekly, and by hand from the Actions tab: asks an LLM for better free-tier models,",
                "checks them against each provider's model list, and opens or updates a pull request.",
                "",
                "Before the first run:",
                '- Settings > Actions > General > Workflow permissions: tick "Allow GitHub Actions to',
                '  create and approve pull requests" (off by default), or store a fine-grained personal',
                "  access token or a GitHub App token (contents: write, pull-requests: write) as the",
                f"  secret {PR_TOKEN_SECRET}, used instead; pull requests opened with it start",
                "  validate.yml, those opened with the workflow's own token do not.",
                "- Store each provider's key as a repository secret, under the name used below.",
                "GitHub stops scheduled workflows in a repository without activity for 60 days: enable",
                "it again in the Actions tab.",
            ],
            pin,
        ),
        "name: refresh models",
        "",
        "on:",
        "  schedule:",
        '    - cron: "23 6 * * 1"  # Mondays 06:23 UTC',
        "  workflow_dispatch:",
        "    inputs:",
        "      provider:",
        '        description: "Refresh only this provider (empty: all)"',
        "        required: false",
        '        default: ""',
        "      workload:",
        '        description: "Refresh only this workload (empty: all)"',
        "        required: false",
        '        default: ""',
        "",
        "permissions:",
        *permissions,
        "",
        "concurrency:",
        "  group: freegin-refresh",
        "  cancel-in-progress: false",
        "",
        "jobs:",
        "  refresh:",
        "    runs-on: ubuntu-latest",
        "    timeout-minutes: 30",
        *_working_directory(layout),
        "    steps:",
        f"      - uses: {CHECKOUT}",
        "        with:",
        "          fetch-depth: 0",
        "          # The credentials stay in the checkout: refresh pushes its branch with them.",
        f"          token: ${{{{ secrets.{PR_TOKEN_SECRET} || github.token }}}}",
        *_install(pin),
        "      - name: Commit identity",
        "        run: |",
        '          git config user.name "github-actions[bot]"',
        '          git config user.email "41898282+github-actions[bot]@users.noreply.github.com"',
        "      - name: Refresh and open the pull request",
        "        env:",
        "          # Only for the pull request: never a provider's key.",
        f"          GITHUB_TOKEN: ${{{{ secrets.{PR_TOKEN_SECRET} || github.token }}}}",
        "          FREEGIN_DB: ${{ runner.temp }}/usage.db",
        "          PROVIDER: ${{ inputs.provider }}",
        "          WORKLOAD: ${{ inputs.workload }}",
        *_key_lines(layout),
        "        run: |",
        "          args=(--push --open-pr)",
        '          if [ -n "$WORKLOAD" ]; then args+=(--workload "$WORKLOAD"); fi',
        '          if [ -n "$PROVIDER" ]; then args=("$PROVIDER" "${args[@]}"); fi',
        '          freegin-ai refresh-models "${args[@]}"',
    ]
    return "\n".join(lines) + "\n"


def hook_files(layout: StarterLayout) -> str:
    """The ``files:`` pattern of the written hook: this catalog's files only, so that another
    folder named ``catalog/`` in the repository (a shop's product catalog) is never taken for
    a freegin-ai catalog."""
    return "^" + re.escape(f"{layout.prefix}catalog/") + r".+\.ya?ml$"


def pre_commit_config(pin: Pin, layout: StarterLayout) -> str:
    """``.pre-commit-config.yaml``: the validate hook of the freegin-ai repository, pinned, on
    the files of the catalog at ``layout``."""
    files = hook_files(layout).replace("'", "''")
    return "\n".join(
        [
            "# Validates the freegin-ai catalog before every commit: pre-commit passes the changed",
            "# catalog files, each checked against the catalog it lives in. Set up once per clone",
            "# with: pre-commit install",
            f"# Written by `freegin-ai init` ({pin.label}).",
            "repos:",
            f"  - repo: {pin.repository}",
            f"    rev: {pin.rev}",
            "    hooks:",
            f"      - id: {HOOK_ID}",
            "        # Only this catalog's files (another folder named catalog/ is not one).",
            f"        files: '{files}'",
            "",
        ]
    )
