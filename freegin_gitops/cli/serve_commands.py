"""``serve``: the router as an OpenAI-compatible HTTP gateway."""

from __future__ import annotations

import click

from freegin_gitops.cli.params import REF, exit_with, global_options


@click.command(short_help="Run the router as an OpenAI-compatible HTTP gateway.")
@click.option("--host", default="127.0.0.1", show_default=True, metavar="H", help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    metavar="N",
    help="Port to listen on (0: any free port, reported on stderr).",
)
@REF
@click.option(
    "--api-key-env",
    metavar="NAME",
    help="Environment variable holding the key clients must send (Authorization: Bearer KEY). "
    "Required with a --host other than loopback.",
)
@click.option(
    "--reload-interval",
    default=2.0,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="How often to check whether the catalog (or --ref) moved; 0: reload only on SIGHUP.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="One line per request on stderr, as text or as JSON.",
)
@click.option("--log-prompts", is_flag=True, help="Also log each request's messages (off: no prompt text).")
@click.option(
    "--max-body-bytes",
    default=4 * 1024 * 1024,
    show_default=True,
    type=click.IntRange(min=1024),
    metavar="N",
    help="Largest request body accepted (larger: HTTP 413).",
)
@click.option(
    "--shutdown-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="On SIGTERM, how long requests in flight may take to finish.",
)
def serve(
    host: str,
    port: int,
    ref: str | None,
    api_key_env: str | None,
    reload_interval: float,
    log_format: str,
    log_prompts: bool,
    max_body_bytes: int,
    shutdown_timeout: float,
) -> None:
    """Serve POST /v1/chat/completions (plain and streamed), GET /v1/models, GET /healthz and
    GET /v1/freegin/status, routing every request through the catalog with fallback.

    The request's model is a workload (chat, code, ...) or PROVIDER/MODEL of a catalog model.
    Every attempt is recorded in the usage database. The catalog is reloaded when it (or --ref)
    moves, and on SIGHUP; SIGTERM finishes the requests in flight and stores their usage.
    Needs the 'serve' extra (pip install 'freegin-ai[serve]').

    \b
    Example: freegin-ai serve --port 8080
    """
    from freegin_gitops.commands import serve as command

    exit_with(
        command.run(
            global_options(),
            host=host,
            port=port,
            ref=ref,
            api_key_env=api_key_env,
            reload_interval=reload_interval,
            log_format=log_format,  # type: ignore[arg-type]
            log_prompts=log_prompts,
            max_body_bytes=max_body_bytes,
            shutdown_timeout=shutdown_timeout,
        )
    )
