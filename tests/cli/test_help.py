"""Every command explains itself: a description and an example in its --help."""

from __future__ import annotations

import re

import click
import pytest

from freegin_gitops import __version__
from freegin_gitops.cli.main import app
from tests.helpers import Cli

COMMANDS = sorted(app.commands)


def test_the_core_commands_exist() -> None:
    assert {"validate", "compile", "list-models"} <= set(COMMANDS)


def test_the_app_has_help(cli: Cli) -> None:
    run = cli("--help")
    assert (run.code, "Keep the catalog of free-tier AI models in git" in run.stdout) == (0, True)


@pytest.mark.parametrize("command", COMMANDS)
def test_the_app_help_describes_every_command(cli: Cli, command: str) -> None:
    listed = re.search(rf"^\s+{re.escape(command)}\s+(\S.*)$", cli("--help").stdout, re.MULTILINE)
    assert listed is not None


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_a_description(cli: Cli, command: str) -> None:
    run = cli(command, "--help")
    paragraphs = run.stdout.split("\n\n")
    assert (run.code, paragraphs[0].startswith("Usage:"), len(paragraphs[1].strip()) > 20) == (
        0,
        True,
        True,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_command_help_has_an_example(cli: Cli, command: str) -> None:
    run = cli(command, "--help")
    example = rf"^\s*Example: .*\bfreegin-ai {re.escape(command)}\b"
    assert re.search(example, run.stdout, re.MULTILINE), run.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_option_has_help(cli: Cli, command: str) -> None:
    params = app.commands[command].params
    assert [p.name for p in params if isinstance(p, click.Option) and not p.help] == []


def test_version(cli: Cli) -> None:
    assert cli("--version").stdout == f"freegin-ai {__version__}\n"
