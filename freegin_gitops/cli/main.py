"""The ``freegin-ai`` command line (click).

This module declares the top-level group and its global options, gathers the commands (declared
in ``cli/*_commands.py``; each command's work is in ``freegin_gitops.commands.<name>``, imported when
the command runs so that start-up stays fast), and turns errors into exit codes and one sentence on
stderr in :func:`main`, and nowhere else: 1 for a failed operation, 2 for bad usage, 3 for an
internal error (a bug: run again with ``--debug`` for the traceback), 130 when interrupted.

Why click and not typer: typer (which wraps click) takes about twice as long to import, and
``route`` must start within 8 times a bare ``python -c pass`` (see benchmarks/).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from freegin_gitops import __version__
from freegin_gitops.cli import (
    catalog_commands,
    edit_commands,
    refresh_commands,
    routing_commands,
    serve_commands,
)
from freegin_gitops.cli.params import DB_HELP, DEBUG_HELP, PATH_TYPE, REPO_HELP, Invocation, global_params
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.errors import FreeginError

_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
INTERNAL_ERROR = 3


@click.group(
    context_settings=_SETTINGS,
    help="Keep the catalog of free-tier AI models in git: validate it, compile it, route prompts "
    "with it, and propose changes to it as pull requests.\n\nThe global options --repo, --db and "
    "--debug may also follow the command name (as a pre-commit hook or a CI step passes them).",
)
@click.option("--repo", type=PATH_TYPE, metavar="PATH", help=REPO_HELP)
@click.option("--db", metavar="PATH|URL", help=DB_HELP)
@click.option("--debug", is_flag=True, help=DEBUG_HELP)
@click.version_option(__version__, "--version", prog_name="freegin-ai", message="%(prog)s %(version)s")
@click.pass_context
def app(ctx: click.Context, repo: Path | None, db: str | None, debug: bool) -> None:
    ctx.ensure_object(Invocation).options = GlobalOptions(repo, db, debug)


COMMANDS = (
    catalog_commands.init,
    catalog_commands.validate,
    catalog_commands.compile_,
    catalog_commands.list_models,
    edit_commands.adopt_model,
    edit_commands.retire_model,
    edit_commands.reject_model,
    edit_commands.deprecate_model,
    routing_commands.route,
    routing_commands.ask,
    refresh_commands.refresh_models,
    serve_commands.serve,
)
for command in COMMANDS:
    command.params.extend(global_params())
    app.add_command(command)


def _scrubbed(text: str) -> str:
    """``text`` without the values of secret environment variables or URL credentials: a last
    guard on everything ``main`` prints, tracebacks included."""
    import os

    from freegin_gitops.core.redact import environment_secrets, scrub, scrub_urls

    return scrub_urls(scrub(text, environment_secrets(os.environ)))


def _fail(message: str, code: int) -> NoReturn:
    sys.stderr.write(f"freegin-ai: {_scrubbed(message)}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def _debug_traceback(exc: BaseException, code: int) -> NoReturn:
    import traceback

    sys.stderr.write(_scrubbed("".join(traceback.format_exception(exc))))
    sys.stderr.flush()
    raise SystemExit(code)


def main() -> None:
    """Console entry point: run the app, and turn errors into exit codes and one sentence."""
    run = Invocation()
    try:
        code = app.main(prog_name="freegin-ai", standalone_mode=False, obj=run)
    except click.ClickException as exc:  # bad usage: click's message, exit 2
        exc.show()
        raise SystemExit(exc.exit_code) from None
    except click.exceptions.Abort:
        _fail("interrupted", 130)
    except FreeginError as exc:
        if run.options.debug:
            _debug_traceback(exc, exc.exit_code)
        _fail(str(exc), exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one place an unexpected error becomes a sentence
        if run.options.debug:
            _debug_traceback(exc, INTERNAL_ERROR)
        _fail(
            f"internal error ({type(exc).__name__}: {exc}); run again with --debug for details",
            INTERNAL_ERROR,
        )
    raise SystemExit(code if isinstance(code, int) else 0)
