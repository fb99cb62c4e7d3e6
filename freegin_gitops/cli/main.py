"""The ``freegin-ai`` command line.

This module only declares commands and options; each command's work is in
``freegin_gitops.commands.<name>``, imported when the command runs so that start-up stays fast.
Errors are turned into exit codes and one sentence on stderr in :func:`main`, and nowhere else.

No ``from __future__ import annotations`` here: typer would then evaluate every annotation string
at start-up (about 20 ms on every command).
"""

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from freegin_gitops import __version__
from freegin_gitops.cli.options import GlobalOptions
from freegin_gitops.errors import FreeginError

app = typer.Typer(
    name="freegin-ai",
    help=(
        "Keep the catalog of free-tier AI models in git: validate it, compile it, route prompts "
        "with it, and propose changes to it as pull requests."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = GlobalOptions()


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"freegin-ai {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _global(
    repo: Annotated[
        Path | None,
        typer.Option(
            "--repo",
            metavar="PATH",
            help="Catalog repository (a folder with catalog/). Default: FREEGIN_REPO, else the git "
            "repository around the current directory if it has catalog/, else the bundled "
            "starter catalog (read-only).",
        ),
    ] = None,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            metavar="PATH",
            help="Usage database (SQLite). Default: FREEGIN_DB, else usage.db in the user data directory.",
        ),
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show Python tracebacks for errors.")] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    _state.repo = repo
    _state.db = db
    _state.debug = debug


class Format(StrEnum):
    text = "text"
    github = "github"
    json = "json"


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            metavar="[PATH...]",
            help="Catalog files to check (others are read for context). Default: every file.",
            show_default=False,
        ),
    ] = None,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="text: file:line:col: message; github: workflow annotations; json: a document.",
        ),
    ] = Format.text,
) -> None:
    """Check every catalog file against its schema and the cross-file rules.

    Each problem is reported as file:line:col with the JSON path and what was expected. Exit 1 if
    there is any problem.

    Example: freegin-ai validate --format github
    """
    from freegin_gitops.commands import validate as command

    raise typer.Exit(command.run(_state, paths or [], output_format.value))


@app.command("compile")
def compile_(
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help="Where to write the compiled catalog; '-' for standard output.",
        ),
    ] = "-",
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if the file at --output is missing or stale."),
    ] = False,
) -> None:
    """Compile the catalog into one deterministic JSON document for the router.

    The same catalog gives the same bytes. The router reads compiled/catalog.json when it is
    present and current.

    Example: freegin-ai compile --output compiled/catalog.json
    """
    from freegin_gitops.commands import compile as command

    raise typer.Exit(command.run(_state, output, check))


@app.command("list-models")
def list_models(
    provider: Annotated[
        str | None, typer.Option("--provider", metavar="P", help="Only this provider.")
    ] = None,
    workload: Annotated[
        str | None, typer.Option("--workload", metavar="W", help="Only this workload.")
    ] = None,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            metavar="S",
            help="Only rows with this status: active, retired, pending, adopted, rejected or all. "
            "Default: active and pending.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """List catalog models and suggestions with their usage figures.

    One row per provider, workload and model: status, whether a suggestion was verified, calls,
    success rate, mean and p95 latency and last use from the usage database.

    Example: freegin-ai list-models --workload code --json
    """
    from freegin_gitops.commands import list_models as command

    raise typer.Exit(command.run(_state, provider, workload, status, as_json))


_EDIT_PROVIDER = typer.Argument(
    metavar="PROVIDER",
    help="Provider id (its file is catalog/providers/PROVIDER.yaml).",
    show_default=False,
)
_EDIT_MODEL = typer.Argument(
    metavar="MODEL", help="Model id, exactly as the provider's API names it.", show_default=False
)
_EDIT_REASON = typer.Option(
    "--reason", metavar="TEXT", help="Why; recorded in the catalog and the commit message."
)
_EDIT_COMMIT = typer.Option(
    "--commit",
    help="Commit exactly the changed catalog files (your other changes stay uncommitted).",
)


@app.command("adopt-model")
def adopt_model(
    provider: Annotated[str, _EDIT_PROVIDER],
    model: Annotated[str, _EDIT_MODEL],
    workload: Annotated[
        str | None,
        typer.Option(
            "--workload",
            "-w",
            metavar="W",
            help="Only the suggestion for this workload; for a model already in the provider "
            "file, add this workload to it. Default: every pending suggestion of MODEL.",
        ),
    ] = None,
    commit: Annotated[bool, _EDIT_COMMIT] = False,
) -> None:
    """Move a pending suggestion into the provider's active models and mark it adopted.

    A new model is added last (lowest preference) with today's date and the suggestion's hints;
    a model already listed gets the workload, or is re-activated if it was retired. Comments and
    formatting in the files are kept.

    Example: freegin-ai adopt-model groq qwen-2.5-coder-32b --workload code --commit
    """
    from freegin_gitops.commands import adopt as command

    raise typer.Exit(command.run(_state, provider, model, workload, commit))


@app.command("retire-model")
def retire_model(
    provider: Annotated[str, _EDIT_PROVIDER],
    model: Annotated[str, _EDIT_MODEL],
    workload: Annotated[
        str | None,
        typer.Option(
            "--workload",
            "-w",
            metavar="W",
            help="Retire only this workload of the model (retiring its last one retires the model).",
        ),
    ] = None,
    reason: Annotated[str | None, _EDIT_REASON] = None,
    commit: Annotated[bool, _EDIT_COMMIT] = False,
) -> None:
    """Mark a model, or one workload of it, retired; it stays in the file for history.

    The router stops using it. Retiring an already retired model changes nothing.

    Example: freegin-ai retire-model groq mixtral-8x7b-32768 --reason "removed by the provider"
    """
    from freegin_gitops.commands import retire as command

    raise typer.Exit(command.run(_state, provider, model, workload, reason, commit))


@app.command("reject-model")
def reject_model(
    provider: Annotated[str, _EDIT_PROVIDER],
    model: Annotated[str, _EDIT_MODEL],
    workload: Annotated[
        str | None,
        typer.Option(
            "--workload",
            "-w",
            metavar="W",
            help="Only the suggestion for this workload; with no suggestion, record a rejected "
            "one so refresh never suggests it. Default: every pending suggestion of MODEL.",
        ),
    ] = None,
    reason: Annotated[str | None, _EDIT_REASON] = None,
    commit: Annotated[bool, _EDIT_COMMIT] = False,
) -> None:
    """Mark a suggestion rejected; refresh never suggests it again.

    Example: freegin-ai reject-model groq qwen-2.5-coder-32b --workload code --reason "too slow"
    """
    from freegin_gitops.commands import reject as command

    raise typer.Exit(command.run(_state, provider, model, workload, reason, commit))


_WORKLOAD = typer.Option("--workload", "-w", metavar="W", help="Workload to route for.")
_PROVIDER = typer.Option(
    "--provider", metavar="P", help="Only this provider (with --model: exactly that model)."
)
_MODEL = typer.Option(
    "--model",
    metavar="M",
    help="Only this model (with --provider: call it even if it is not in the catalog).",
)
_REF = typer.Option(
    "--ref", metavar="REF", help="Use the catalog at this git commit, branch or tag (no checkout)."
)


@app.command()
def route(
    workload: Annotated[str, _WORKLOAD] = "chat",
    provider: Annotated[str | None, _PROVIDER] = None,
    model: Annotated[str | None, _MODEL] = None,
    ref: Annotated[str | None, _REF] = None,
    show_all: Annotated[
        bool, typer.Option("--all", help="List every candidate, not only those the router would reach.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON only.")] = False,
) -> None:
    """Show the candidates a routed call would try, in order, and why any is skipped.

    Skipped: no API key in the environment, a provider cooling down after HTTP 429, a base URL
    variable not set. Calls nothing.

    Example: freegin-ai route --workload code --json
    """
    from freegin_gitops.commands import route as command

    raise typer.Exit(command.run(_state, workload, provider, model, ref, show_all, as_json))


@app.command()
def ask(
    prompt: Annotated[str, typer.Argument(help="The prompt; '-' reads it from standard input.")],
    workload: Annotated[str, _WORKLOAD] = "chat",
    provider: Annotated[str | None, _PROVIDER] = None,
    model: Annotated[str | None, _MODEL] = None,
    ref: Annotated[str | None, _REF] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the answer, provider, model, latency and attempts as JSON.")
    ] = False,
) -> None:
    """Route a prompt to the first candidate that answers and print the answer.

    On a connection error, timeout, HTTP 429, 5xx or any other failure the next candidate is
    tried; every attempt is recorded in the usage database. Exit 1 if none answers.

    Example: echo "Summarise: ..." | freegin-ai ask - --workload summarisation
    """
    from freegin_gitops.commands import ask as command

    raise typer.Exit(command.run(_state, prompt, workload, provider, model, ref, as_json))


@app.command("refresh-models")
def refresh_models(
    provider: Annotated[
        str | None,
        typer.Argument(
            metavar="[PROVIDER]", help="Refresh only this provider. Default: all.", show_default=False
        ),
    ] = None,
    workload: Annotated[
        str | None, typer.Option("--workload", "-w", metavar="W", help="Only this workload.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be written (and the diff); change nothing.")
    ] = False,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from-file",
            metavar="F",
            help="Use a saved LLM answer instead of asking (one answer for every provider, or a JSON "
            "object of answers by provider).",
        ),
    ] = None,
    push: Annotated[
        bool | None,
        typer.Option(
            "--push/--no-push",
            help="Push the branch to origin (with --force-with-lease).",
            show_default=False,
        ),
    ] = None,
    open_pr: Annotated[
        bool,
        typer.Option(
            "--open-pr",
            help="Open a pull request for the branch, or update the open one (implies --push). Needs "
            "GITHUB_TOKEN; GITHUB_REPOSITORY or the origin URL names the repository.",
        ),
    ] = False,
    base: Annotated[
        str | None,
        typer.Option("--base", metavar="BRANCH", help="Branch to start from. Default: the current branch."),
    ] = None,
) -> None:
    """Ask an LLM for better models and propose them on a branch and pull request.

    For each provider: the refresh model from config.yaml is asked (through the router) for better
    models per workload; each answer is checked against the provider's own model list (verified:
    true/false/null); active models the provider no longer lists are proposed for retirement. The
    result is committed on freegin/refresh/<provider or all>, built from --base without touching
    your working tree. Re-running updates the same branch and pull request.

    Example: freegin-ai refresh-models groq --push --open-pr
    """
    from freegin_gitops.commands import refresh as command

    raise typer.Exit(command.run(_state, provider, workload, dry_run, from_file, push, open_pr, base))


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"freegin-ai: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def main() -> None:
    """Console entry point: run the app, and turn errors into exit codes and one sentence."""
    try:
        app()
    except FreeginError as exc:
        if _state.debug:
            raise
        _fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except BrokenPipeError:
        # The reader went away (``| head``): it has what it wanted; end quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise SystemExit(0) from None
    except Exception as exc:
        if _state.debug:
            raise
        _fail(
            f"internal error ({type(exc).__name__}: {exc}); run again with --debug for details",
            1,
        )
