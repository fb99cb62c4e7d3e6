"""What the command declarations share: option declarations, and the global options of one run.

The global options (``--repo``, ``--db``, ``--debug``) are kept per run, in the click context's
object (an :class:`Invocation` made by :func:`freegin_gitops.cli.main.main`), never in module state:
the top-level callback sets them, and a global option given after the command name overrides them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import click

from freegin_gitops.commands.options import GlobalOptions

PATH_TYPE = click.Path(path_type=Path)

REPO_HELP = (
    "Catalog repository (a folder with catalog/). Default: FREEGIN_REPO, else the nearest folder "
    "at or above the current directory that holds catalog/ (not past the root of its git "
    "repository); outside git only, the bundled starter catalog (read-only)."
)
DB_HELP = (
    "Usage database: a SQLite file, or a postgresql:// URL shared by several routers. Default: "
    "FREEGIN_DB, else usage.db in the user data directory."
)
DEBUG_HELP = "Show Python tracebacks for errors."


class Invocation:
    """One run of the command line: its global options as parsed so far."""

    def __init__(self) -> None:
        self.options = GlobalOptions()


def invocation() -> Invocation:
    """The run the current click context belongs to (made on first use when ``app`` is invoked
    without :func:`~freegin_gitops.cli.main.main`, as click's test runner does)."""
    return click.get_current_context().find_root().ensure_object(Invocation)


def global_options() -> GlobalOptions:
    """The global options of the current run."""
    return invocation().options


def set_global(ctx: click.Context, param: click.Parameter, value: object) -> None:
    """A global option given after the command name: it overrides one given before."""
    if value is None or value is False:
        return
    run = invocation()
    changed: dict[str, Any] = {str(param.name): value}
    run.options = run.options._replace(**changed)


def global_params() -> list[click.Parameter]:
    """``--repo``, ``--db`` and ``--debug`` again, for every command (hidden from its help: the
    top-level help describes them once)."""
    common = {"expose_value": False, "callback": set_global, "hidden": True, "is_eager": True}
    return [
        click.Option(["--repo"], type=PATH_TYPE, metavar="PATH", help=REPO_HELP, **common),  # type: ignore[arg-type]
        click.Option(["--db"], metavar="PATH|URL", help=DB_HELP, **common),  # type: ignore[arg-type]
        click.Option(["--debug"], is_flag=True, help=DEBUG_HELP, **common),  # type: ignore[arg-type]
    ]


def exit_with(code: int) -> NoReturn:
    raise SystemExit(code)


def edit_arguments(fn: click.decorators.FC) -> click.decorators.FC:
    fn = click.argument("model", metavar="MODEL")(fn)
    return click.argument("provider", metavar="PROVIDER")(fn)


REASON = click.option("--reason", metavar="TEXT", help="Why; recorded in the catalog and the commit message.")
COMMIT = click.option(
    "--commit",
    is_flag=True,
    help="Commit exactly the changed catalog files (your other changes stay uncommitted).",
)


WORKLOAD = click.option(
    "--workload", "-w", default="chat", show_default=True, metavar="W", help="Workload to route for."
)
PROVIDER = click.option(
    "--provider", metavar="P", help="Only this provider (with --model: exactly that model)."
)
MODEL = click.option(
    "--model",
    metavar="M",
    help="Only this model (with --provider: call it even if it is not in the catalog).",
)
REF = click.option(
    "--ref", metavar="REF", help="Use the catalog at this git commit, branch or tag (no checkout)."
)
