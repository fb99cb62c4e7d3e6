"""What ``freegin-ai serve`` was asked to do, checked before anything starts."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from freegin_gitops.errors import BadUsage

LogFormat = Literal["text", "json"]


@dataclass(frozen=True, slots=True)
class ServeSettings:
    host: str = "127.0.0.1"
    port: int = 8080
    ref: str | None = None
    api_key: str | None = None  # the gateway's own key (from the variable --api-key-env names)
    api_key_env: str | None = None
    reload_interval_s: float = 2.0  # 0: reload on SIGHUP only
    log_format: LogFormat = "text"
    log_prompts: bool = False
    max_body_bytes: int = 4 * 1024 * 1024
    queue_limit: int = 10_000
    shutdown_timeout_s: float = 30.0
    db: Path | None = None


def is_loopback(host: str) -> bool:
    """True for a loopback address (127.0.0.0/8, ::1) or ``localhost``."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def gateway_key(host: str, api_key_env: str | None, environ: Mapping[str, str]) -> str | None:
    """The key clients must send, or None for an open loopback gateway; :class:`BadUsage` when a
    gateway reachable from other hosts would have none."""
    if api_key_env is None:
        if not is_loopback(host):
            raise BadUsage(
                f"--host {host} is reachable from other machines: give --api-key-env NAME, the "
                "environment variable holding the key clients must send"
            )
        return None
    key = environ.get(api_key_env, "")
    if not key.strip():
        raise BadUsage(f"--api-key-env {api_key_env}: the variable {api_key_env} is not set or empty")
    if len(key.strip()) < 16:
        raise BadUsage(f"--api-key-env {api_key_env}: the key must be at least 16 characters long")
    return key.strip()
