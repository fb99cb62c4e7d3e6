"""The ``freegin-ai`` command line (click).

This module only declares commands and options; each command's work is in
``freegin_gitops.commands.<name>``, imported when the command runs so that start-up stays fast.
Errors are turned into exit codes and one sentence on stderr in :func:`main`, and nowhere else.

Why click and not typer: typer (which wraps click) takes about twice as long to import, and
``route`` must start within 8 times a bare ``python -c pass`` (see benchmarks/).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from freegin_gitops import __version__
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.errors import FreeginError

_state = GlobalOptions()
_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
_PATH = click.Path(path_type=Path)


@click.group(
    context_settings=_SETTINGS,
    help="Keep the catalog of free-tier AI models in git: validate it, compile it, route prompts "
    "with it, and propose changes to it as pull requests.",
)
@click.option(
    "--repo",
    type=_PATH,
    metavar="PATH",
    help="Catalog repository (a folder with catalog/). Default: FREEGIN_REPO, else the git "
    "repository around the current directory if it has catalog/, else the bundled starter "
    "catalog (read-only).",
)
@click.option(
    "--db",
    type=_PATH,
    metavar="PATH",
    help="Usage database (SQLite). Default: FREEGIN_DB, else usage.db in the user data directory.",
)
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.version_option(__version__, "--version", prog_name="freegin-ai", message="%(prog)s %(version)s")
def app(repo: Path | None, db: Path | None, debug: bool) -> None:
    _state.repo = repo
    _state.db = db
    _state.debug = debug


def _exit(code: int) -> NoReturn:
    raise SystemExit(code)


@app.command(short_help="Check the catalog against its schemas and rules.")
@click.argument("paths", nargs=-1, type=_PATH, metavar="[PATH...]")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="text: file:line:col: message; github: workflow annotations; json: a document.",
)
def validate(paths: tuple[Path, ...], output_format: str) -> None:
    """Check every catalog file against its schema and the cross-file rules.

    Each problem is reported as file:line:col with the JSON path and what was expected. Exit 1 if
    there is any problem. With PATHs, only those files' problems are reported (the rest of the
    catalog is read for context).

    \b
    Example: freegin-ai validate --format github
    """
    from freegin_gitops.commands import validate as command

    _exit(command.run(_state, list(paths), output_format))


@app.command("compile", short_help="Write the deterministic compiled catalog.")
@click.option(
    "--output",
    "-o",
    default="-",
    metavar="PATH",
    help="Where to write the compiled catalog; '-' (the default) for standard output.",
)
@click.option(
    "--check", is_flag=True, help="Write nothing; exit 1 if the file at --output is missing or stale."
)
def compile_(output: str, check: bool) -> None:
    """Compile the catalog into one deterministic JSON document for the router.

    The same catalog gives the same bytes. The router reads compiled/catalog.json when it is
    present and current.

    \b
    Example: freegin-ai compile --output compiled/catalog.json
    """
    from freegin_gitops.commands import compile as command

    _exit(command.run(_state, output, check))


@app.command("list-models", short_help="List models and suggestions with usage figures.")
@click.option("--provider", metavar="P", help="Only this provider.")
@click.option("--workload", "-w", metavar="W", help="Only this workload.")
@click.option(
    "--status",
    metavar="S",
    help="Only rows with this status: active, retired, pending, adopted, rejected or all. "
    "Default: active and pending.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def list_models(provider: str | None, workload: str | None, status: str | None, as_json: bool) -> None:
    """List catalog models and suggestions with their usage figures.

    One row per provider, workload and model: status, whether a suggestion was verified, calls,
    success rate, mean and p95 latency and last use from the usage database.

    \b
    Example: freegin-ai list-models --workload code --json
    """
    from freegin_gitops.commands import list_models as command

    _exit(command.run(_state, provider, workload, status, as_json))


def _edit_arguments(fn: click.decorators.FC) -> click.decorators.FC:
    fn = click.argument("model", metavar="MODEL")(fn)
    return click.argument("provider", metavar="PROVIDER")(fn)


_REASON = click.option(
    "--reason", metavar="TEXT", help="Why; recorded in the catalog and the commit message."
)
_COMMIT = click.option(
    "--commit",
    is_flag=True,
    help="Commit exactly the changed catalog files (your other changes stay uncommitted).",
)


@app.command("adopt-model", short_help="Move a suggestion into the active catalog.")
@_edit_arguments
@click.option(
    "--workload",
    "-w",
    metavar="W",
    help="Only the suggestion for this workload; for a model already in the provider file, add this "
    "workload to it. Default: every pending suggestion of MODEL.",
)
@_COMMIT
def adopt_model(provider: str, model: str, workload: str | None, commit: bool) -> None:
    """Move a pending suggestion into the provider's active models and mark it adopted.

    PROVIDER is a provider id (catalog/providers/PROVIDER.yaml); MODEL the model id exactly as the
    provider's API names it. A new model is added last (lowest preference) with today's date and
    the suggestion's hints; a model already listed gets the workload, or is re-activated if it was
    retired. Comments and formatting in the files are kept.

    \b
    Example: freegin-ai adopt-model groq moonshotai/kimi-k2-instruct-0905 --workload code --commit
    """
    from freegin_gitops.commands import edit
    from freegin_gitops.services.edits import adopt

    _exit(
        edit.run(
            _state, "adopt-model", lambda files, now: adopt(files, provider, model, workload, now=now), commit
        )
    )


@app.command("retire-model", short_help="Retire a model, or one workload of it.")
@_edit_arguments
@click.option(
    "--workload",
    "-w",
    metavar="W",
    help="Retire only this workload of the model (retiring its last one retires the model).",
)
@_REASON
@_COMMIT
def retire_model(provider: str, model: str, workload: str | None, reason: str | None, commit: bool) -> None:
    """Mark a model, or one workload of it, retired; it stays in the file for history.

    The router stops using it. Retiring an already retired model changes nothing.

    \b
    Example: freegin-ai retire-model groq llama-3.1-8b-instant --reason "removed by the provider"
    """
    from freegin_gitops.commands import edit
    from freegin_gitops.services.edits import retire

    _exit(
        edit.run(
            _state,
            "retire-model",
            lambda files, now: retire(files, provider, model, workload, reason, now=now),
            commit,
        )
    )


@app.command("reject-model", short_help="Reject a suggestion for good.")
@_edit_arguments
@click.option(
    "--workload",
    "-w",
    metavar="W",
    help="Only the suggestion for this workload; with no suggestion, record a rejected one so "
    "refresh never suggests it. Default: every pending suggestion of MODEL.",
)
@_REASON
@_COMMIT
def reject_model(provider: str, model: str, workload: str | None, reason: str | None, commit: bool) -> None:
    """Mark a suggestion rejected; refresh never suggests it again.

    \b
    Example: freegin-ai reject-model groq openai/gpt-oss-20b --workload summarisation --reason "use 120b"
    """
    from freegin_gitops.commands import edit
    from freegin_gitops.services.edits import reject

    _exit(
        edit.run(
            _state,
            "reject-model",
            lambda files, now: reject(files, provider, model, workload, reason, now=now),
            commit,
        )
    )


_WORKLOAD = click.option(
    "--workload", "-w", default="chat", show_default=True, metavar="W", help="Workload to route for."
)
_PROVIDER = click.option(
    "--provider", metavar="P", help="Only this provider (with --model: exactly that model)."
)
_MODEL = click.option(
    "--model",
    metavar="M",
    help="Only this model (with --provider: call it even if it is not in the catalog).",
)
_REF = click.option(
    "--ref", metavar="REF", help="Use the catalog at this git commit, branch or tag (no checkout)."
)


@app.command(short_help="Show the candidates a call would try, and why.")
@_WORKLOAD
@_PROVIDER
@_MODEL
@_REF
@click.option(
    "--all", "show_all", is_flag=True, help="List every candidate, not only those the router would reach."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def route(
    workload: str, provider: str | None, model: str | None, ref: str | None, show_all: bool, as_json: bool
) -> None:
    """Show the candidates a routed call would try, in order, and why any is skipped.

    Skipped: no API key in the environment, a provider cooling down after HTTP 429, a base URL
    variable not set. Calls nothing.

    \b
    Example: freegin-ai route --workload code --json
    """
    from freegin_gitops.commands import route as command

    _exit(command.run(_state, workload, provider, model, ref, show_all, as_json))


@app.command(short_help="Route a prompt, with fallback; print the answer.")
@click.argument("prompt")
@_WORKLOAD
@_PROVIDER
@_MODEL
@_REF
@click.option(
    "--json", "as_json", is_flag=True, help="Print the answer, provider, model, latency and attempts as JSON."
)
def ask(
    prompt: str, workload: str, provider: str | None, model: str | None, ref: str | None, as_json: bool
) -> None:
    """Route PROMPT to the first candidate that answers and print the answer ('-' reads stdin).

    On a connection error, timeout, HTTP 429, 5xx or any other failure the next candidate is
    tried; every attempt is recorded in the usage database. Exit 1 if none answers.

    \b
    Example: echo "Summarise: ..." | freegin-ai ask - --workload summarisation
    """
    from freegin_gitops.commands import ask as command

    _exit(command.run(_state, prompt, workload, provider, model, ref, as_json))


@app.command("refresh-models", short_help="Propose better models on a branch and pull request.")
@click.argument("provider", required=False, metavar="[PROVIDER]")
@click.option("--workload", "-w", metavar="W", help="Only this workload.")
@click.option("--dry-run", is_flag=True, help="Print what would be written (and the diff); change nothing.")
@click.option(
    "--from-file",
    type=_PATH,
    metavar="F",
    help="Use a saved LLM answer instead of asking (one answer for every provider, or a JSON object "
    "of answers by provider).",
)
@click.option(
    "--push/--no-push",
    default=None,
    help="Push the branch to origin (with --force-with-lease). Default: no push, unless --open-pr.",
)
@click.option(
    "--open-pr",
    is_flag=True,
    help="Open a pull request for the branch, or update the open one (implies --push). Needs "
    "GITHUB_TOKEN; GITHUB_REPOSITORY or the origin URL names the repository.",
)
@click.option("--base", metavar="BRANCH", help="Branch to start from. Default: the current branch.")
def refresh_models(
    provider: str | None,
    workload: str | None,
    dry_run: bool,
    from_file: Path | None,
    push: bool | None,
    open_pr: bool,
    base: str | None,
) -> None:
    """Ask an LLM for better models and propose them on a branch and pull request.

    For each provider (or PROVIDER only): the refresh model from config.yaml is asked (through the
    router) for better models per workload; each answer is checked against the provider's own
    model list (verified: true/false/null); active models the provider no longer lists are
    proposed for retirement. The result is committed on freegin/refresh/<provider or all>, built
    from --base without touching your working tree. Re-running updates the same branch and pull
    request.

    \b
    Example: freegin-ai refresh-models groq --push --open-pr
    """
    from freegin_gitops.commands import refresh as command

    _exit(command.run(_state, provider, workload, dry_run, from_file, push, open_pr, base))


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"freegin-ai: {message}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def main() -> None:
    """Console entry point: run the app, and turn errors into exit codes and one sentence."""
    try:
        code = app.main(prog_name="freegin-ai", standalone_mode=False)
    except click.ClickException as exc:  # bad usage: click's message, exit 2
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        _fail("interrupted", 130)
    except FreeginError as exc:
        if _state.debug:
            raise
        _fail(str(exc), exc.exit_code)
    except Exception as exc:
        if _state.debug:
            raise
        _fail(f"internal error ({type(exc).__name__}: {exc}); run again with --debug for details", 1)
    raise SystemExit(code if isinstance(code, int) else 0)
