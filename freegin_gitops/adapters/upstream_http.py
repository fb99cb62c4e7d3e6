"""The gateway's upstream HTTP: one pool of keep-alive HTTP/1.1 connections over asyncio streams,
responses parsed by httptools (uvicorn's C parser).

Why not httpx's client and transport: on the gateway's path they cost about 2 ms of CPU per
request under concurrency (httpcore's pool scans, and polls, every connection for every request;
the client layer parses the URL, merges headers and extracts cookies each time); here a
provider's request head is built once and each call is a write and a parse. Errors are still
httpx's exception types, so the adapter above handles one family of failures.

Not done here: HTTP proxies and HTTP/2: with a proxy variable set, :func:`gateway_upstream` gives
:class:`HttpxUpstream` (one pooled :class:`httpx.AsyncClient`) instead. Both answer with
``status_code``, ``headers.get``, ``aiter_bytes`` (gzip and deflate decoded) and ``aclose``. A
connection goes back to the pool once its answer has come to its end, else it is closed.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import urllib.parse
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any, NamedTuple, Protocol

import httpx

from freegin_gitops.adapters.inflate import EncodingBroken, Inflater
from freegin_gitops.adapters.upstream_link import Link, Parsed

IDLE_EXPIRY_S = 30.0
MAX_IDLE_PER_ORIGIN = 256
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

Origin = tuple[str, str, int]


class Endpoint(NamedTuple):
    """A provider URL split once: where to connect, and the request head up to the body."""

    origin: Origin
    head: bytes  # request line and headers, without Content-Length and the blank line


class Answer:
    """An answer whose head has been read; its body is read by :meth:`aiter_bytes`."""

    def __init__(self, pool: Http1Pool, origin: Origin, connection: Link, parsed: Parsed) -> None:
        self._pool = pool
        self._origin = origin
        self._connection: Link | None = connection
        self._parsed = parsed
        self.status_code = parsed.status_code
        self.headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in parsed.headers
        }
        self.read_timeout: float | None = None
        self.read_deadline: float | None = None  # loop time the whole body must have come by

    async def _raw(self) -> AsyncIterator[bytes]:
        parsed = self._parsed
        while True:
            while parsed.body:
                piece = parsed.take()
                if piece:
                    yield piece
            if parsed.done or self._connection is None:
                break
            if not await self._connection.wait(self.read_timeout, self.read_deadline):
                if parsed.delimited():
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection before the answer ended"
                    )
                parsed.done = True
                self._release(reuse=False)
                break
        self._release(reuse=parsed.keep_alive and parsed.delimited())

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body's bytes, gzip or deflate content-encoding decoded a bounded piece at a time."""
        encoding = self.headers.get("content-encoding")
        if encoding is None or encoding.strip().lower() in ("", "identity"):
            return self._raw()  # nothing to decode
        return _inflated(encoding, self._raw())

    def _release(self, *, reuse: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if reuse and self._parsed.done:
            self._pool._put_back(self._origin, connection)
        else:
            connection.close()

    async def aclose(self) -> None:
        """Done: the connection is kept if the answer came to its end (a stream read to [DONE])."""
        p = self._parsed
        self._release(reuse=p.done and not p.body and p.keep_alive and p.delimited())


class UpstreamAnswer(Protocol):
    status_code: int

    @property
    def headers(self) -> Any: ...  # has .get(name), case-insensitive

    def aiter_bytes(self) -> AsyncIterator[bytes]: ...

    async def aclose(self) -> None: ...


class Upstream(Protocol):
    """How the gateway sends a request to a provider."""

    def prepare(self, url: str, headers: Mapping[str, str]) -> Any: ...

    async def post(
        self, prepared: Any, body: bytes, connect_s: float, read_s: float | None
    ) -> UpstreamAnswer: ...

    async def aclose(self) -> None: ...


class Http1Pool:
    """Pooled keep-alive HTTP/1.1 connections to every provider."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self._ssl = ssl_context
        self._idle: dict[Origin, deque[Link]] = {}

    def prepare(self, url: str, headers: Mapping[str, str]) -> Endpoint:
        """The endpoint of ``url`` with ``headers`` (made once per provider)."""
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname:
            raise httpx.UnsupportedProtocol(f"cannot call {scheme or 'a URL without a scheme'}")
        port = parts.port or (443 if scheme == "https" else 80)
        default = 443 if scheme == "https" else 80
        host = parts.hostname if port == default else f"{parts.hostname}:{port}"
        if ":" in parts.hostname and port == default:
            host = f"[{parts.hostname}]"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"POST {target} HTTP/1.1", f"Host: {host}"]
        for name, value in headers.items():
            if "\r" in name + value or "\n" in name + value:
                raise httpx.LocalProtocolError(f"the header {name!r} holds a line break")
            lines.append(f"{name}: {value}")
        return Endpoint((scheme, parts.hostname, port), "\r\n".join(lines).encode("latin-1"))

    def _context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = httpx.create_ssl_context()
        return self._ssl

    def _take(self, origin: Origin) -> Link | None:
        idle = self._idle.get(origin)
        now = asyncio.get_running_loop().time()
        while idle:
            connection = idle.pop()  # the most recently used: the least likely to have expired
            if connection.usable(now, IDLE_EXPIRY_S):
                return connection
            connection.close()
        return None

    def _put_back(self, origin: Origin, connection: Link) -> None:
        connection.begin(None)
        idle = self._idle.setdefault(origin, deque())
        if len(idle) >= MAX_IDLE_PER_ORIGIN:
            connection.close()
            return
        connection.idle_since = asyncio.get_running_loop().time()
        idle.append(connection)

    async def _connect(self, origin: Origin, timeout: float | None) -> Link:
        scheme, host, port = origin
        context = self._context() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                _, link = await asyncio.get_running_loop().create_connection(
                    Link, host, port, ssl=context, server_hostname=host if context else None
                )
        except TimeoutError:
            raise httpx.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port} ({type(exc).__name__})") from None
        return link

    async def post(self, prepared: Endpoint, body: bytes, connect_s: float, read_s: float | None) -> Answer:
        """Send ``body`` to the endpoint; the answer once its head has come. ``read_s`` bounds
        each wait for the server (None: the caller bounds the whole call)."""
        message = prepared.head + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
        origin = prepared.origin
        for tries_left in (1, 0):
            connection = self._take(origin)
            reused = connection is not None
            if connection is None:
                connection = await self._connect(origin, connect_s)
            try:
                parsed = await self._exchange(connection, message, read_s)
            except _BeforeAnswer as exc:
                connection.close()
                # A pooled connection the server had closed fails before any answer: send again,
                # once, on a new connection (as httpcore does).
                if reused and tries_left:
                    continue
                raise exc.error from None
            except BaseException:
                connection.close()
                raise
            answer = Answer(self, origin, connection, parsed)
            answer.read_timeout = read_s
            return answer
        raise AssertionError("unreachable")

    async def _exchange(self, connection: Link, message: bytes, read_s: float | None) -> Parsed:
        parsed = Parsed()
        connection.begin(parsed)
        try:
            await connection.send(message, read_s)
        except httpx.WriteError as exc:
            raise _BeforeAnswer(exc) from None
        first = True
        while not parsed.head_done:
            try:
                came = await connection.wait(read_s)
            except httpx.ReadError as exc:
                if first:
                    raise _BeforeAnswer(exc) from None
                raise
            if not came:
                error = httpx.RemoteProtocolError("the server closed the connection without answering")
                if first:
                    raise _BeforeAnswer(error)
                raise error
            first = False
        return parsed

    async def aclose(self) -> None:
        for idle in self._idle.values():
            for connection in idle:
                connection.close()
        self._idle.clear()


async def _inflated(encoding: str | None, raw: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """``raw`` decoded by an :class:`~freegin_gitops.adapters.inflate.Inflater`: no step yields
    more than 64 KiB, so a reader's size cap bounds a gzip bomb too."""
    try:
        inflater = Inflater(encoding)
        async for chunk in raw:
            for piece in inflater.feed(chunk):
                yield piece
        tail = inflater.finish()
    except EncodingBroken as exc:
        raise httpx.DecodingError(str(exc)) from None
    if tail:
        yield tail


class _HttpxAnswer:
    """An httpx streamed answer whose body is decoded by :func:`_inflated`, not by httpx."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status_code = response.status_code
        self.headers = response.headers

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        return _inflated(self.headers.get("content-encoding"), self._response.aiter_raw())

    async def aclose(self) -> None:
        await self._response.aclose()


class _BeforeAnswer(Exception):
    def __init__(self, error: httpx.TransportError) -> None:
        self.error = error


class HttpxUpstream:
    """Providers through one pooled :class:`httpx.AsyncClient` (which honours proxies)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    def prepare(self, url: str, headers: Mapping[str, str]) -> tuple[str, dict[str, str]]:
        return url, dict(headers)

    async def post(
        self, prepared: tuple[str, dict[str, str]], body: bytes, connect_s: float, read_s: float | None
    ) -> _HttpxAnswer:
        url, headers = prepared
        timeout = httpx.Timeout(read_s, connect=connect_s)
        request = self.client.build_request("POST", url, content=body, headers=headers, timeout=timeout)
        return _HttpxAnswer(await self.client.send(request, stream=True))

    async def aclose(self) -> None:
        await self.client.aclose()


def gateway_upstream(environ: Mapping[str, str] | None = None) -> Upstream:
    """The gateway's one pooled upstream: :class:`Http1Pool`, or :class:`HttpxUpstream` when a
    proxy variable is set (httpx reads them itself)."""
    environ = os.environ if environ is None else environ
    if any(environ.get(name) for name in PROXY_VARIABLES):
        return HttpxUpstream(httpx.AsyncClient(trust_env=True, limits=httpx.Limits(max_connections=1000)))
    return Http1Pool()
