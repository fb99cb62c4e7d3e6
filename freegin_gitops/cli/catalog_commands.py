"""``init``, ``validate``, ``compile`` and ``list-models``: the commands that start and read the
catalog."""

from __future__ import annotations

from pathlib import Path

import click

from freegin_gitops.cli.params import PATH_TYPE, exit_with, global_options


@click.command(short_help="Start a catalog repository: catalog, schemas, workflows, pre-commit.")
@click.argument("path", required=False, type=PATH_TYPE, metavar="[PATH]")
@click.option(
    "--empty", is_flag=True, help="Write only workloads.yaml and config.yaml, no providers or suggestions."
)
@click.option(
    "--pin",
    metavar="COMMIT",
    help="Pin the workflows and the hook to this full commit id of freegin-ai's repository "
    "(default: the commit this freegin-ai was built from; needed when it cannot tell).",
)
def init(path: Path | None, empty: bool, pin: str | None) -> None:
    """Start a catalog repository in PATH (default: the current directory).

    Writes the starter catalog (with --empty: its workloads and a config naming no provider) and
    schemas/ into PATH, and, at the root of the git repository around PATH (or in PATH outside
    git), .github/workflows/validate.yml and refresh.yml and a .pre-commit-config.yaml. The
    workflows and the hook install this very freegin-ai, pinned to the commit it was built from
    (or --pin COMMIT; exit 1 when neither is known). Refuses to write over any existing file,
    and then writes nothing. Prints what it wrote and the next steps.

    \b
    Example: freegin-ai init infra/ai
    """
    from freegin_gitops.commands import init as command

    exit_with(command.run(path=path, empty=empty, pin=pin))


@click.command(short_help="Check the catalog against its schemas and rules.")
@click.argument("paths", nargs=-1, type=PATH_TYPE, metavar="[PATH...]")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "github", "json"]),
    default="text",
    show_default=True,
    help="text: file:line:col: message; github: workflow annotations; json: a document.",
)
@click.option(
    "--whole-catalog",
    is_flag=True,
    help="With PATHs: report every problem of the catalogs they belong to, not only theirs (the "
    "pre-commit hook does, so that a change to one file that breaks another is caught).",
)
def validate(paths: tuple[Path, ...], output_format: str, whole_catalog: bool) -> None:
    """Check every catalog file against its schema and the cross-file rules.

    Each problem is reported as file:line:col (the path in the git repository) with the JSON path
    and what was expected. Exit 1 if there is any problem. Each PATH is checked against the
    catalog it lives in (the nearest folder above it that holds catalog/), wherever the command
    runs; only those files' problems are reported, the rest of the catalog is read for context.

    \b
    Example: freegin-ai validate --format github
    """
    from freegin_gitops.commands import validate as command

    exit_with(
        command.run(global_options(), paths=list(paths), output_format=output_format, whole=whole_catalog)
    )


@click.command("compile", short_help="Write the deterministic compiled catalog.")
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

    exit_with(command.run(global_options(), output=output, check=check))


@click.command("list-models", short_help="List models and suggestions with usage figures.")
@click.option("--provider", metavar="P", help="Only this provider.")
@click.option("--workload", "-w", metavar="W", help="Only this workload.")
@click.option(
    "--status",
    metavar="S",
    help="Only rows with this status: active, deprecated, retired, pending, adopted, rejected or "
    "all. Default: active, deprecated and pending.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def list_models(provider: str | None, workload: str | None, status: str | None, as_json: bool) -> None:
    """List catalog models and suggestions with their usage figures.

    One row per provider, workload and model: status, whether a suggestion was verified, calls,
    success rate, mean and p95 latency and last use from the usage database, and, for a model
    with free-tier limits, what is left of its budgets (or when a spent one resets).

    \b
    Example: freegin-ai list-models --workload code --json
    """
    from freegin_gitops.commands import list_models as command

    exit_with(
        command.run(global_options(), provider=provider, workload=workload, status=status, as_json=as_json)
    )
