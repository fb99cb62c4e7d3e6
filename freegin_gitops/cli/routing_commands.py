"""``route`` and ``ask``: plan a routed call, or make one."""

from __future__ import annotations

import click

from freegin_gitops.cli.params import MODEL, PROVIDER, REF, WORKLOAD, exit_with, global_options


@click.command(short_help="Show the candidates a call would try, and why.")
@WORKLOAD
@PROVIDER
@MODEL
@REF
@click.option(
    "--all", "show_all", is_flag=True, help="List every candidate, not only those the router would reach."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON only.")
def route(
    workload: str, provider: str | None, model: str | None, ref: str | None, show_all: bool, as_json: bool
) -> None:
    """Show the candidates a routed call would try, in order, and why any is skipped.

    Skipped: no API key in the environment, a model (or provider) cooling down after HTTP 429, a
    free-tier budget spent (with when it resets), a base URL variable not set. The BUDGET column
    shows what is left of each candidate's tightest budget, counted in the usage database.
    Deprecated models come after every active model of the workload, with the date and reason.
    Calls nothing.

    \b
    Example: freegin-ai route --workload code --json
    """
    from freegin_gitops.commands import route as command

    exit_with(
        command.run(
            global_options(),
            workload=workload,
            provider=provider,
            model=model,
            ref=ref,
            show_all=show_all,
            as_json=as_json,
        )
    )


@click.command(short_help="Route a prompt, with fallback; print the answer.")
@click.argument("prompt")
@WORKLOAD
@PROVIDER
@MODEL
@REF
@click.option(
    "--json", "as_json", is_flag=True, help="Print the answer, provider, model, latency and attempts as JSON."
)
def ask(
    prompt: str, workload: str, provider: str | None, model: str | None, ref: str | None, as_json: bool
) -> None:
    """Route PROMPT to the first candidate that answers and print the answer ('-' reads stdin).

    A candidate whose free-tier budget is spent is skipped before it is called. On a connection
    error, timeout, HTTP 429, 5xx or any other failure the next candidate is tried; a 429 cools
    the model down for as long as the provider asks (until the day resets when the day's quota
    is spent). Every attempt is recorded in the usage database. Exit 1 if none answers.

    \b
    Example: echo "Summarise: ..." | freegin-ai ask - --workload summarisation
    """
    from freegin_gitops.commands import ask as command

    exit_with(
        command.run(
            global_options(),
            prompt=prompt,
            workload=workload,
            provider=provider,
            model=model,
            ref=ref,
            as_json=as_json,
        )
    )
