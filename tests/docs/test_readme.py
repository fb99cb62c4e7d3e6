"""The README's tour runs as written, its command table matches the CLI, and it links the docs."""

from __future__ import annotations

import re
import shlex

import click
import pytest

from freegin_gitops.cli.main import app
from tests.helpers import ROOT, Cli

README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(app.commands)


def tour() -> list[tuple[str, list[str]]]:
    """The ``freegin-ai`` steps of the tour's first console block, each with the output shown."""
    section = README[README.index("## A five-minute tour") :]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL)
    assert block is not None
    steps: list[tuple[str, list[str]]] = []
    for line in block.group(1).splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif steps and line:
            steps[-1][1].append(line)
    return [(command, shown) for command, shown in steps if "freegin-ai" in command]


def modulo_figures(text: str) -> str:
    return re.sub(r"\d+", "N", re.sub(r"\b[0-9a-f]{7,64}\b", "HEX", text))


def test_the_tour_shows_the_core_commands() -> None:
    commands = " ".join(command for command, _ in tour())
    assert [
        c for c in ("validate", "list-models", "route", "compile") if f"freegin-ai {c} " not in commands + " "
    ] == []


@pytest.mark.parametrize(("command", "shown"), tour(), ids=[c for c, _ in tour()])
def test_each_tour_step_runs_and_prints_what_the_readme_shows(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, command: str, shown: list[str]
) -> None:
    words = shlex.split(command, comments=True)
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        monkeypatch.setenv(name, value)
    assert words[0] == "freegin-ai"
    run = cli(*words[1:])
    assert run.code == 0, run.stderr
    printed = (run.stderr + run.stdout).splitlines()
    # Rows of models change with the catalog; the first lines (remarks, headers, results) may not.
    first = len(run.stderr.splitlines()) + 1
    assert [modulo_figures(line) for line in printed[:first]] == [
        modulo_figures(line) for line in shown[:first]
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_the_command_table_lists_every_command_with_its_options(command: str) -> None:
    row = next((r for r in README.splitlines() if r.startswith(f"| `freegin-ai {command} ")), None)
    assert row is not None, f"no row for {command} in the README's command table"
    cmd = app.commands[command]
    names = [
        name
        for param in cmd.get_params(click.Context(cmd, info_name=command))
        if isinstance(param, click.Option) and "--help" not in param.opts and not param.hidden
        for name in param.opts + param.secondary_opts
        if name.startswith("--")
    ]
    assert [n for n in names if n not in row] == []


@pytest.mark.parametrize("link", ["docs/freegin-ai.1", "docs/catalog.md"])
def test_the_readme_links_the_generated_docs(link: str) -> None:
    assert link in README


def test_the_design_tree_names_real_packages() -> None:
    section = README[README.index("## Design") :]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert block is not None
    named = [line.split()[0] for line in block.group(1).splitlines() if line and not line[0].isspace()]
    missing = [name for name in named if not (ROOT / "freegin_gitops" / name).exists()]
    assert named and missing == []
