"""``freegin-ai serve`` with another upstream HTTP client, for ``benchmarks/gateway.py --upstreams``:
the same gateway, its providers called through one pooled ``httpx.AsyncClient`` (what the gateway
uses when a proxy variable is set) or one ``aiohttp.ClientSession`` instead of its own keep-alive
pool (``freegin_gitops/adapters/upstream_http.py``).

    python benchmarks/gateway_upstreams.py httpx|aiohttp --repo ... serve --port ...
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import AsyncIterator, Mapping
from typing import Any


class AiohttpAnswer:
    """An aiohttp response as the gateway's adapter reads an upstream answer."""

    def __init__(self, response: Any) -> None:
        self._response = response
        self.status_code = response.status
        self.headers = response.headers  # case-insensitive .get and .items

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        async for chunk in self._response.content.iter_any():  # gzip and deflate decoded
            yield chunk

    async def aclose(self) -> None:
        released = self._response.release()  # back to the pool when read to the end
        if inspect.isawaitable(released):
            await released


class AiohttpUpstream:
    """Providers through one pooled ``aiohttp.ClientSession``."""

    def __init__(self) -> None:
        self.session: Any = None

    def prepare(self, url: str, headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        return url, dict(headers)

    async def post(
        self, prepared: tuple[str, dict[str, str]], body: bytes, connect_s: float, read_s: float
    ) -> AiohttpAnswer:
        import aiohttp

        if self.session is None:
            self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1000))
        url, headers = prepared
        timeout = aiohttp.ClientTimeout(sock_connect=connect_s, sock_read=read_s)
        return AiohttpAnswer(await self.session.post(url, data=body, headers=headers, timeout=timeout))

    async def aclose(self) -> None:
        if self.session is not None:
            await self.session.close()


def main() -> None:
    kind = sys.argv.pop(1)
    from freegin_gitops.services.serve import app

    if kind == "httpx":
        import httpx

        from freegin_gitops.adapters.upstream_http import HttpxUpstream

        def upstream(environ: Mapping[str, str] | None = None) -> Any:
            # As gateway_upstream makes it when a proxy variable is set.
            return HttpxUpstream(httpx.AsyncClient(trust_env=True, limits=httpx.Limits(max_connections=1000)))

    elif kind == "aiohttp":

        def upstream(environ: Mapping[str, str] | None = None) -> Any:
            return AiohttpUpstream()

    else:
        raise SystemExit(f"unknown upstream {kind!r}: httpx or aiohttp")
    setattr(app, "gateway_upstream", upstream)  # noqa: B010 - the one name the app calls for it
    from freegin_gitops.cli.main import main as cli

    cli()


if __name__ == "__main__":
    main()
