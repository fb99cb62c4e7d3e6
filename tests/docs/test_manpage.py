"""The man page in docs/ is generated from the CLI, shipped in the wheel, and renders."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import click
import pytest

from freegin_gitops import __version__
from freegin_gitops.cli.main import app
from freegin_gitops.docs import generate, manpage, roff
from freegin_gitops.docs.__main__ import main as docs_main
from tests.helpers import ROOT

MAN_PAGE = ROOT / generate.MAN_PAGE
REGENERATE = "out of date: run python -m freegin_gitops.docs"
COMMANDS = sorted(app.commands)


@pytest.fixture(scope="module")
def page() -> str:
    return MAN_PAGE.read_text(encoding="utf-8")


def section(page: str, command: str) -> str:
    """The COMMANDS subsection of one command."""
    start = page.index(f'.SS "{roff.text(f"freegin-ai {command}")}"')
    end = min(i for i in (page.find("\n.SS ", start + 1), page.find("\n.SH ", start + 1)) if i != -1)
    return page[start:end]


def test_the_man_page_is_what_the_cli_generates_now(page: str) -> None:
    assert page == generate.render_man_page(), REGENERATE


def test_the_wheel_ships_the_man_page_from_docs() -> None:
    wheel = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"][str(generate.MAN_PAGE)] == "freegin_gitops/_bundled/man/freegin-ai.1"
    assert wheel["shared-data"][str(generate.MAN_PAGE)] == "share/man/man1/freegin-ai.1"


def test_an_installed_copy_equals_the_docs_copy(page: str) -> None:
    """Where freegin-ai is installed from a wheel, its copies of the man page are today's."""
    from importlib import metadata

    dist = metadata.distribution("freegin-ai")
    direct_url = json.loads(dist.read_text("direct_url.json") or "{}")
    if direct_url.get("dir_info", {}).get("editable"):
        pytest.skip("an editable install: its copies were made from docs/ when it was installed")
    shipped = [f for f in dist.files or [] if f.name == "freegin-ai.1"]
    assert len(shipped) == 2
    assert [f.locate().read_text(encoding="utf-8") == page for f in shipped] == [True, True]


def test_the_header_names_the_version_and_a_fixed_date(page: str) -> None:
    header = next(line for line in page.splitlines() if line.startswith(".TH "))
    assert roff.text(__version__) in header
    assert roff.text(generate.MANUAL_DATE) in header


@pytest.mark.parametrize(
    "name", ["NAME", "SYNOPSIS", "DESCRIPTION", "COMMANDS", "EXIT STATUS", "ENVIRONMENT", "FILES", "EXAMPLES"]
)
def test_the_page_has_the_usual_sections(page: str, name: str) -> None:
    assert f"\n.SH {name}\n" in page


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_option_and_argument_is_documented(page: str, command: str) -> None:
    text = section(page, command)
    cmd = app.commands[command]
    ctx = click.Context(cmd, info_name=command)
    missing = [
        name
        for param in cmd.get_params(ctx)
        if not getattr(param, "hidden", False)  # the global options, described once
        for name in (param.opts + param.secondary_opts if isinstance(param, click.Option) else [])
        if name.replace("-", "\\-") not in text
    ]
    missing += [
        p.human_readable_name
        for p in cmd.params
        if isinstance(p, click.Argument) and p.human_readable_name.replace("-", "\\-") not in text
    ]
    assert missing == []


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_shows_its_usage_and_example(page: str, command: str) -> None:
    text = section(page, command)
    assert f"\\fB{roff.text(f'freegin-ai {command} [OPTIONS]')}" in text
    assert re.search(rf"^Example:\n\.RS\n\.EX\n.*{re.escape(roff.text(command))}", text, re.MULTILINE)


@pytest.mark.parametrize("option", ["--repo", "--db", "--debug", "--version"])
def test_the_global_options_are_documented(page: str, option: str) -> None:
    assert roff.bold(option) in page


@pytest.mark.parametrize(
    "variable",
    ["FREEGIN_REPO", "FREEGIN_DB", "FREEGIN_CACHE_DIR", "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_REPOSITORY",
     "CLOUDFLARE_ACCOUNT_ID", "api_key_env", "FREEGIN_MAX_RESPONSE_BYTES", "FREEGIN_MAX_FILE_BYTES",
     "FREEGIN_GITHUB_TIMEOUT_S", "FREEGIN_GIT_TIMEOUT_S", "FREEGIN_GIT_LOCAL_TIMEOUT_S"],
)  # fmt: skip
def test_the_environment_variables_are_documented(page: str, variable: str) -> None:
    environment = page[page.index(".SH ENVIRONMENT") : page.index(".SH FILES")]
    assert variable in environment


def test_the_exit_status_is_documented(page: str) -> None:
    status = page[page.index(".SH EXIT STATUS") : page.index(".SH ENVIRONMENT")]
    assert [m for m in re.findall(r"^\\fB(\d+)\\fR$", status, re.MULTILINE)] == ["0", "1", "2", "3", "130"]


def test_no_text_line_can_be_taken_for_a_request_and_every_hyphen_is_escaped(page: str) -> None:
    requests = {".TH", ".SH", ".SS", ".PP", ".TP", ".RS", ".RE", ".EX", ".EE", ".br", ".nf", ".fi", '.\\"'}
    for line in page.splitlines():
        if line.startswith((".", "'")):
            assert line.split(" ", 1)[0] in requests, line
        if not line.startswith('.\\"'):
            assert re.search(r"(?<!\\)-", line) is None, line


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("--repo", "\\%\\-\\-repo"),
        ("a\\b", "a\\eb"),
        ("caf\u00e9 \u2014 ok", "caf\\[u00E9] \\[u2014] ok"),
        ("plain words", "plain words"),
    ],
)
def test_roff_text_escapes(raw: str, escaped: str) -> None:
    assert roff.text(raw) == escaped


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("...", "\\&..."),
        ("'quoted'", "\\&'quoted'"),
        (".pre-commit-hooks.yaml", "\\%.pre\\-commit\\-hooks.yaml"),
    ],
)
def test_a_line_starting_with_a_control_character_is_guarded(raw: str, escaped: str) -> None:
    assert roff.line(raw) == escaped


def test_help_texts_become_paragraphs_and_examples() -> None:
    @click.group(help="Do things: one and two.")
    def tool() -> None:
        pass

    @tool.command()
    @click.option("--level", default=3, show_default=True, metavar="N", help="How much.")
    def run(level: int) -> None:
        """First line.

        .dotted start and a back\\slash.

        Example: freegin-ai run --level 4
        """

    text = manpage.render(tool, version="9.9", date="2000-01-01")
    assert "\n\\%.dotted start and a back\\eslash.\n" in text
    assert ".EX\n\\%freegin\\-ai run \\%\\-\\-level 4\n.EE" in text
    assert "\\fB\\%\\-\\-level\\fR \\fIN\\fR\nHow much. [default: 3]" in text
    assert text == manpage.render(tool, version="9.9", date="2000-01-01")


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
def test_groff_renders_the_page_without_warnings() -> None:
    done = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(MAN_PAGE)], capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_the_regenerating_script_checks_and_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(ROOT / "schemas", tmp_path / "schemas")
    assert docs_main(["--root", str(tmp_path), "--check"]) == 1
    assert "out of date: docs/freegin-ai.1, docs/catalog.md" in capsys.readouterr().err
    assert docs_main(["--root", str(tmp_path)]) == 0
    assert (tmp_path / generate.MAN_PAGE).read_text() == MAN_PAGE.read_text()
    assert docs_main(["--root", str(tmp_path), "--check"]) == 0
