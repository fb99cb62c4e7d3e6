"""``freegin-ai serve``: the router as an OpenAI-compatible HTTP gateway."""

from __future__ import annotations

import contextlib
import os

from freegin_gitops.commands.common import catalog_repo
from freegin_gitops.commands.options import GlobalOptions
from freegin_gitops.errors import FreeginError
from freegin_gitops.services.serve.settings import LogFormat, ServeSettings, gateway_key


def run(
    options: GlobalOptions,
    *,
    host: str,
    port: int,
    ref: str | None,
    api_key_env: str | None,
    reload_interval: float,
    log_format: LogFormat,
    log_prompts: bool,
    max_body_bytes: int,
    shutdown_timeout: float,
) -> int:
    environ = dict(os.environ)
    key = gateway_key(host, api_key_env, environ)
    try:
        from freegin_gitops.services.serve import runner
        from freegin_gitops.services.serve.app import GatewayService
    except ImportError as exc:
        raise FreeginError(
            f"serve needs the 'serve' extra ({exc.name} is not installed): pip install 'freegin-ai[serve]'"
        ) from exc
    from freegin_gitops.services.catalog.paths import db_location
    from freegin_gitops.services.routing.usage_stats import open_store
    from freegin_gitops.services.serve.catalog_watch import CatalogSource

    settings = ServeSettings(
        host=host,
        port=port,
        ref=ref,
        api_key=key,
        api_key_env=api_key_env,
        reload_interval_s=reload_interval,
        log_format=log_format,
        log_prompts=log_prompts,
        max_body_bytes=max_body_bytes,
        shutdown_timeout_s=shutdown_timeout,
    )
    repo = catalog_repo(options)
    source = CatalogSource(repo, ref)
    store = open_store(options.db)  # unreachable: one sentence and exit 1, before binding
    assert store is not None
    with contextlib.closing(store):
        shared = isinstance(db_location(options.db), str)  # a postgresql:// URL, not a file
        service = GatewayService(settings, source, environ, store, handle_sighup=True, shared_store=shared)
        service.preload()  # an invalid catalog or a bad --ref stops here, before binding
        sock = runner.bind(host, port)
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
        service.banner = f"listening on http://{shown}:{bound_port}/v1" + (
            " (clients must send the key in $" + api_key_env + ")" if api_key_env else ""
        )
        runner.serve(service, sock)
    return 0
