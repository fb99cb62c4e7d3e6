"""``refresh-models``: propose better models on a branch and pull request."""

from __future__ import annotations

from pathlib import Path

import click

from freegin_gitops.cli.params import PATH_TYPE, exit_with, global_options


@click.command("refresh-models", short_help="Propose better models on a branch and pull request.")
@click.argument("provider", required=False, metavar="[PROVIDER]")
@click.option("--workload", "-w", metavar="W", help="Only this workload.")
@click.option("--dry-run", is_flag=True, help="Print what would be written (and the diff); change nothing.")
@click.option(
    "--from-file",
    type=PATH_TYPE,
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
@click.option(
    "--keep-unlisted",
    is_flag=True,
    help="Write recommendations the provider's model list does not hold as pending suggestions "
    "(verified: false). Default: list them in the pull request only.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Exit 1 when any provider failed (default: only when every provider failed; the others "
    "are still proposed, and the failures reported).",
)
def refresh_models(
    provider: str | None,
    workload: str | None,
    dry_run: bool,
    from_file: Path | None,
    push: bool | None,
    open_pr: bool,
    base: str | None,
    keep_unlisted: bool,
    strict: bool,
) -> None:
    """Ask an LLM for better models and propose them on a branch and pull request.

    For each provider (or PROVIDER only; without it, providers whose key is not set are left out
    and reported): its model list (GET /models) is fetched, and the refresh model from config.yaml
    is asked (through the router) to choose better models per workload among the listed ones the
    catalog does not hold yet. A recommendation the list does not hold is reported in the pull
    request, not suggested (unless --keep-unlisted); one whose cost is over the workload's max_cost
    is left out. Active models the list no longer holds are proposed deprecated; deprecated ones
    still missing after refresh.grace_days, retired; listed again, active. A list holding none of
    the active models, or missing more than half, is suspect: nothing is proposed for its models.
    Catalog limits that the x-ratelimit-limit-* headers recorded by the router contradict are
    proposed corrected, with the headers as evidence.
    The result is committed on freegin/refresh/<provider or all>, built from --base without
    touching your working tree (with compiled/catalog.json regenerated when the repository keeps
    one). Re-running updates the same branch and pull request; a branch
    carrying someone's commits is left alone, with a notice.

    Exit 0 when every provider was refreshed, or some failed and the others were proposed (the
    failures are reported on stderr, as GitHub warning annotations under GitHub Actions, and in
    the pull request); exit 1 when every provider failed, with --strict when any did, or when
    the branch, the push or the pull request failed.

    \b
    Example: freegin-ai refresh-models groq --push --open-pr
    """
    from freegin_gitops.commands import refresh as command

    exit_with(
        command.run(
            global_options(),
            provider=provider,
            workload=workload,
            dry_run=dry_run,
            from_file=from_file,
            push=push,
            open_pr=open_pr,
            base=base,
            keep_unlisted=keep_unlisted,
            strict=strict,
        )
    )
