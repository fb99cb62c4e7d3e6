"""``adopt-model``, ``retire-model``, ``reject-model`` and ``deprecate-model``: the catalog edits."""

from __future__ import annotations

import click

from freegin_gitops.cli.params import COMMIT, REASON, edit_arguments, exit_with, global_options


@click.command("adopt-model", short_help="Move a suggestion into the active catalog.")
@edit_arguments
@click.option(
    "--workload",
    "-w",
    metavar="W",
    help="Only the suggestion for this workload; for a model already in the provider file, add this "
    "workload to it. Default: every pending suggestion of MODEL.",
)
@COMMIT
def adopt_model(provider: str, model: str, workload: str | None, commit: bool) -> None:
    """Move a pending suggestion into the provider's active models and mark it adopted.

    PROVIDER is a provider id (catalog/providers/PROVIDER.yaml); MODEL the model id exactly as the
    provider's API names it. A new model is added last (lowest preference) with today's date and
    the suggestion's hints, cost and speed (the suggestion keeps its rationale); a model already
    listed gets the workload, or is re-activated if it was deprecated or retired. Comments and
    formatting in the files are kept.

    \b
    Example: freegin-ai adopt-model groq moonshotai/kimi-k2-instruct-0905 --workload code --commit
    """
    from freegin_gitops.commands import edit
    from freegin_gitops.services.edits import adopt

    exit_with(
        edit.run(
            global_options(),
            command="adopt-model",
            edit=lambda files, now: adopt(files, provider, model, workload, now=now),
            commit=commit,
        )
    )


@click.command("retire-model", short_help="Retire a model, or one workload of it.")
@edit_arguments
@click.option(
    "--workload",
    "-w",
    metavar="W",
    help="Retire only this workload of the model (retiring its last one retires the model).",
)
@REASON
@COMMIT
def retire_model(provider: str, model: str, workload: str | None, reason: str | None, commit: bool) -> None:
    """Mark a model, or one workload of it, retired; it stays in the file for history.

    The router stops using it. Retiring an already retired model changes nothing.

    \b
    Example: freegin-ai retire-model groq llama-3.1-8b-instant --reason "removed by the provider"
    """
    from freegin_gitops.commands import edit
    from freegin_gitops.services.edits import retire

    exit_with(
        edit.run(
            global_options(),
            command="retire-model",
            edit=lambda files, now: retire(files, provider, model, workload, reason, now=now),
            commit=commit,
        )
    )


@click.command("reject-model", short_help="Reject a suggestion for good.")
@edit_arguments
@click.option(
    "--workload",
    "-w",
    metavar="W",
    help="Only the suggestion for this workload; with no suggestion, record a rejected one so "
    "refresh never suggests it. Default: every pending suggestion of MODEL.",
)
@REASON
@COMMIT
def reject_model(provider: str, model: str, workload: str | None, reason: str | None, commit: bool) -> None:
    """Mark a suggestion rejected; refresh never suggests it again.

    \b
    Example: freegin-ai reject-model groq openai/gpt-oss-20b --workload summarisation --reason "use 120b"
    """
    from freegin_gitops.commands import edit
    from freegin_gitops.services.edits import reject

    exit_with(
        edit.run(
            global_options(),
            command="reject-model",
            edit=lambda files, now: reject(files, provider, model, workload, reason, now=now),
            commit=commit,
        )
    )


@click.command("deprecate-model", short_help="Deprecate a model: still used, after the active ones.")
@edit_arguments
@click.option(
    "--successor",
    metavar="M",
    help="The active model of the same provider that replaces MODEL (recorded as successor).",
)
@REASON
@COMMIT
def deprecate_model(
    provider: str, model: str, successor: str | None, reason: str | None, commit: bool
) -> None:
    """Mark a model deprecated: the router still uses it, after every active model of its
    workloads, and route says so.

    Refresh proposes retiring a deprecated model once the provider's model list has been missing
    it for refresh.grace_days (14 by default). Deprecating it again changes only the reason or the
    successor given. retire-model retires at once; adopt-model makes it active again.

    \b
    Example: freegin-ai deprecate-model groq llama-3.1-8b-instant --successor openai/gpt-oss-20b
    """
    from freegin_gitops.commands import edit
    from freegin_gitops.services.edits import deprecate

    exit_with(
        edit.run(
            global_options(),
            command="deprecate-model",
            edit=lambda files, now: deprecate(files, provider, model, successor, reason, now=now),
            commit=commit,
        )
    )
