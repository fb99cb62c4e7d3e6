"""HTTP exchanges with a total deadline and a size cap, for providers, GitHub and the gateway.

httpx's timeouts bound each read, so a server that sends one byte a second keeps a request alive
for ever, and httpx reads whole bodies (redirect bodies included) into memory. Here:

* :class:`Deadline` is the moment an exchange must be over. The sync client made by
  :func:`new_client` runs every socket operation (connect, TLS, each read and write) with at most
  the time left before the deadline of the exchange in progress (a context variable), so a
  trickling server ends with ``timed out`` exactly like a silent one, headers included.
* :func:`iter_capped` / :func:`aiter_capped` yield a body's chunks and stop it past a byte cap
  (its ``Content-Length`` is checked first) or past the deadline; :func:`read_capped` and
  :func:`aread_capped` join them.
* :func:`exchange` / :func:`exchange_async` send one request, follow redirects themselves (each
  hop under the same deadline, no redirect body read) and return a fully read :class:`Answer`.
  The async side bounds the whole exchange with :func:`asyncio.timeout`.

Failures are :class:`~freegin_gitops.errors.TransportFailed` with a ``kind`` (``timeout``,
``connect``, ``too_large``, ``protocol``); the adapters that call providers and GitHub turn it into
their own errors, naming the provider or repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ipaddress
import itertools
import json
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from freegin_gitops.adapters.inflate import EncodingBroken, Inflater
from freegin_gitops.errors import TransportFailed

MAX_REDIRECTS = 5


class Deadline:
    """The moment (on a monotonic clock) by which an exchange must be over."""

    __slots__ = ("_clock", "at", "seconds")

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self.at = clock() + seconds

    def remaining(self) -> float:
        return self.at - self._clock()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def timed_out(self, what: str = "the exchange") -> TransportFailed:
        return TransportFailed("timeout", f"timed out: {what} took longer than {self.seconds:g} s")


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("freegin_deadline", default=None)


@contextlib.contextmanager
def within(deadline: Deadline) -> Iterator[Deadline]:
    """Run the socket operations of this thread (or task) inside ``deadline``."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = _current.get()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0:
        raise expired(f"the deadline of {deadline.seconds:g} s has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every operation ends by the current deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_tcp(host, port, bounded, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, its connections bounded by the current :class:`Deadline`.

    httpcore takes a network backend (its documented extension point); httpx builds its pool
    without one, so the pool's backend is wrapped after construction. httpx < 1 and httpcore 1.x
    are pinned for this; a test fails if the hook stops applying.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        pool: Any = self._pool
        pool._network_backend = _DeadlineBackend(pool._network_backend)


def _proxy_mounts() -> dict[str, httpx.BaseTransport | None]:
    """Proxies from the environment (``HTTPS_PROXY``, ``NO_PROXY``, ...), as httpx reads them,
    each through a :class:`DeadlineTransport`."""
    info = urllib.request.getproxies()
    mounts: dict[str, httpx.BaseTransport | None] = {}
    for scheme in ("http", "https", "all"):
        url = info.get(scheme)
        if url:
            mounts[f"{scheme}://"] = DeadlineTransport(proxy=url if "://" in url else f"http://{url}")
    for host in (h.strip() for h in info.get("no", "").split(",")):
        if host == "*":
            return {}
        if not host:
            continue
        if "://" in host:
            mounts[host] = None
            continue
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            mounts[f"all://{host}" if host.lower() == "localhost" else f"all://*{host}"] = None
        else:
            mounts[f"all://[{host}]" if address.version == 6 else f"all://{host}"] = None
    return mounts


def new_client(headers: Mapping[str, str] | None = None) -> httpx.Client:
    """A client whose exchanges (through :func:`exchange`) keep their deadline at the socket."""
    return httpx.Client(
        transport=DeadlineTransport(),
        mounts=_proxy_mounts(),
        trust_env=False,  # proxies are read above; no ~/.netrc credentials sent anywhere
        headers={"Accept-Encoding": "gzip, deflate", **(headers or {})},
        follow_redirects=False,
    )


def _too_large(limit: int) -> TransportFailed:
    return TransportFailed("too_large", f"answer too large: more than {_size(limit)}")


def _size(limit: int) -> str:
    mib = limit / (1024 * 1024)
    return f"{mib:g} MiB" if mib >= 1 else f"{limit} bytes"


def _declared_too_large(response: httpx.Response, limit: int) -> bool:
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


def _source(response: httpx.Response) -> tuple[Inflater, Iterable[bytes | None]]:
    """How to read ``response``'s body: its decoder and its raw chunks (None at the end). A
    response read before (a canned one built in memory; never one streamed by :func:`exchange`)
    gives its content, already decoded."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        encoding = response.headers.get("content-encoding")
        return Inflater(encoding), itertools.chain(response.iter_raw(), [None])
    return Inflater(None), (content, None)


def iter_capped(response: httpx.Response, limit: int, deadline: Deadline | None = None) -> Iterator[bytes]:
    """The (decoded) chunks of a streamed ``response``; :class:`TransportFailed` once more than
    ``limit`` bytes came, or the deadline passed. A compressed body is decoded here a bounded
    piece at a time (:mod:`~freegin_gitops.adapters.inflate`), so the cap bounds memory too."""
    if _declared_too_large(response, limit):
        raise _too_large(limit)
    try:
        inflater, source = _source(response)
        size = 0
        for raw in source:
            for chunk in inflater.pieces(raw):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                if deadline is not None and deadline.expired:
                    raise deadline.timed_out("the answer")
                yield chunk
    except EncodingBroken as exc:
        raise TransportFailed("protocol", str(exc)) from None


def read_capped(response: httpx.Response, limit: int, deadline: Deadline | None = None) -> bytes:
    """The whole body of a streamed ``response``, at most ``limit`` bytes (see :func:`iter_capped`)."""
    return b"".join(iter_capped(response, limit, deadline))


async def aiter_capped(
    response: httpx.Response, limit: int, deadline: Deadline | None = None
) -> AsyncIterator[bytes]:
    """:func:`iter_capped` for an async response: each chunk must come before the deadline."""
    if _declared_too_large(response, limit):
        raise _too_large(limit)
    try:
        content = response.content  # read before (see _source): already decoded
    except httpx.ResponseNotRead:
        pass
    else:
        if len(content) > limit:
            raise _too_large(limit)
        yield content
        return
    try:
        inflater = Inflater(response.headers.get("content-encoding"))
        size = 0
        chunks = response.aiter_raw()
        while True:
            raw: bytes | None
            try:
                if deadline is None:
                    raw = await anext(chunks)
                else:
                    async with asyncio.timeout(max(deadline.remaining(), 0)):
                        raw = await anext(chunks)
            except StopAsyncIteration:
                raw = None
            except TimeoutError:
                assert deadline is not None
                raise deadline.timed_out("the answer") from None
            for chunk in inflater.pieces(raw):
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                yield chunk
            if raw is None:
                return
    except EncodingBroken as exc:
        raise TransportFailed("protocol", str(exc)) from None


async def aread_capped(response: httpx.Response, limit: int, deadline: Deadline | None = None) -> bytes:
    """The whole body of an async streamed ``response`` (see :func:`aiter_capped`)."""
    return b"".join([chunk async for chunk in aiter_capped(response, limit, deadline)])


@dataclass(frozen=True, slots=True)
class Answer:
    """A response read whole, within its bounds."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not JSON (too deep or too big a number
        included)."""
        try:
            return json.loads(self.content)
        except RecursionError:
            raise ValueError("the JSON is nested too deeply") from None


def _failure(exc: httpx.HTTPError, deadline: Deadline) -> TransportFailed:
    if isinstance(exc, httpx.TimeoutException) or deadline.expired:
        return deadline.timed_out()
    name = type(exc).__name__  # ConnectError, RemoteProtocolError, ...: the server cannot be used
    return TransportFailed("connect", f"cannot connect ({name})", name)


def _request(
    client: httpx.Client | httpx.AsyncClient,
    method: str,
    url: str,
    deadline_s: float,
    kwargs: Mapping[str, Any],
) -> httpx.Request:
    # Each phase may take the whole deadline; the transport (sync) or asyncio (async) cuts it to
    # what is left of the exchange.
    timeout = httpx.Timeout(deadline_s)
    try:
        return client.build_request(method, url, timeout=timeout, **kwargs)
    except httpx.InvalidURL as exc:
        raise TransportFailed("connect", f"the URL is not valid ({exc})") from None


def exchange(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    deadline_s: float,
    max_bytes: int,
    follow_redirects: bool = True,
    **kwargs: Any,
) -> Answer:
    """Send one request and read its answer within ``deadline_s`` seconds (connect, headers,
    body and redirects together) and ``max_bytes`` bytes. ``kwargs`` go to
    :meth:`httpx.Client.build_request` (``headers``, ``json``, ``params``, ...)."""
    deadline = Deadline(deadline_s)
    request = _request(client, method, url, deadline_s, kwargs)
    with within(deadline):
        for _hop in range(MAX_REDIRECTS + 1):
            try:
                response = client.send(request, stream=True, follow_redirects=False)
                try:
                    if follow_redirects and response.next_request is not None:
                        request = response.next_request
                        continue
                    body = read_capped(response, max_bytes, deadline)
                finally:
                    response.close()
            except httpx.HTTPError as exc:
                raise _failure(exc, deadline) from None
            return Answer(response.status_code, response.headers, body, str(response.url))
    raise TransportFailed("protocol", f"more than {MAX_REDIRECTS} redirects")


async def exchange_async(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    deadline_s: float,
    max_bytes: int,
    follow_redirects: bool = True,
    **kwargs: Any,
) -> Answer:
    """:func:`exchange` for an :class:`httpx.AsyncClient` (the gateway's)."""
    deadline = Deadline(deadline_s)
    request = _request(client, method, url, deadline_s, kwargs)
    try:
        async with asyncio.timeout(deadline_s):
            for _hop in range(MAX_REDIRECTS + 1):
                response = await client.send(request, stream=True, follow_redirects=False)
                try:
                    if follow_redirects and response.next_request is not None:
                        request = response.next_request
                        continue
                    body = await aread_capped(response, max_bytes, deadline)
                finally:
                    await response.aclose()
                return Answer(response.status_code, response.headers, body, str(response.url))
    except TimeoutError:
        raise deadline.timed_out() from None
    except httpx.HTTPError as exc:
        raise _failure(exc, deadline) from None
    raise TransportFailed("protocol", f"more than {MAX_REDIRECTS} redirects")
