"""OpenAI-compatible providers, called asynchronously for the gateway: ``POST /chat/completions``
plain and streamed, over the gateway's one pooled upstream
(:mod:`~freegin_gitops.adapters.upstream_http`); a provider's request head is made once.

The request body is the client's, passed as bytes; the answer is passed back as bytes. Failures
are the same :class:`ProviderError` kinds as the blocking client's (one status table:
:func:`~freegin_gitops.adapters.openai_http.status_error`), with the key scrubbed out of every
message. Every answer is read within bounds: a total deadline for a plain answer and for a
stream's first event, an idle deadline between stream chunks, a size cap on bodies and events.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from freegin_gitops import __version__
from freegin_gitops.adapters.env_limits import current_limits
from freegin_gitops.adapters.openai_http import scrub, status_error
from freegin_gitops.adapters.upstream_http import Upstream, UpstreamAnswer
from freegin_gitops.core.openai_wire import (
    ChunkFacts,
    EventSplitter,
    EventTooLarge,
    chunk_facts,
    event_data,
    load_json,
)
from freegin_gitops.core.rate_limit_reply import rate_limit_values
from freegin_gitops.core.redact import excerpt
from freegin_gitops.errors import ProviderError

MAX_ERROR_BYTES = 64 * 1024
MAX_EVENT_BYTES = 1024 * 1024
STREAM_MAX_S = 900.0  # a whole stream; between chunks the provider's own timeout applies


@dataclass(frozen=True, slots=True)
class Completion:
    """A provider's plain answer: the body as sent, and the token counts it reports."""

    body: bytes
    status_code: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


def _tokens(document: Any) -> tuple[int | None, int | None, int | None]:
    usage = document.get("usage") if isinstance(document, dict) else None
    if not isinstance(usage, dict):
        return None, None, None

    def count(key: str) -> int | None:
        value = usage.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return count("prompt_tokens"), count("completion_tokens"), count("total_tokens")


async def _read_capped(response: UpstreamAnswer, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` bytes (the rest is not read)."""
    declared = response.headers.get("content-length") or ""
    if declared.isdigit() and int(declared) > limit:
        return None
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


class AsyncProvider:
    """One provider's OpenAI-compatible API over a shared async client."""

    def __init__(
        self,
        upstream: Upstream,
        *,
        provider: str,
        base_url: str,
        api_key: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        self._upstream = upstream
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.url = self.base_url + "/chat/completions"
        self._secrets = [api_key] if api_key else []
        self._key_bytes = api_key.encode() if api_key else None
        self.secrets: tuple[str, ...] = tuple(self._secrets)  # scrubbed before any text is cut
        sent = {
            "User-Agent": f"freegin-ai/{__version__}",
            "Accept": "application/json",
            "Accept-Encoding": "gzip, deflate",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        if api_key:
            sent["Authorization"] = f"Bearer {api_key}"
        self._sent = sent
        self._prepared: Any = None
        self.timeout_s = timeout_s
        self._connect_s = min(timeout_s, 10.0)
        self.max_answer_bytes = current_limits().max_response_bytes  # FREEGIN_MAX_RESPONSE_BYTES

    def error(self, message: str, model: str, kind: str, **extra: Any) -> ProviderError:
        """A failure of this provider, its message naming provider and model, the key scrubbed."""
        return ProviderError(
            scrub(f"{self.provider}/{model}: {message}", self._secrets),
            provider=self.provider,
            model=model,
            kind=kind,
            **extra,
        )

    def _transport_error(self, exc: Exception, model: str) -> ProviderError:
        if isinstance(exc, httpx.TimeoutException | TimeoutError):
            return self.error(f"timed out ({type(exc).__name__})", model, "timeout")
        return self.error(f"cannot connect to {self.base_url} ({type(exc).__name__})", model, "connect")

    def without_key(self, body: bytes) -> bytes:
        """``body`` with this provider's key masked, should an answer ever echo it."""
        if self._key_bytes and self._key_bytes in body:
            return scrub(body.decode("utf-8", "replace"), self._secrets).encode()
        return body

    async def _open(self, body: bytes, model: str, read_s: float | None) -> UpstreamAnswer:
        """Send the request; an error status becomes a ProviderError (its body read, capped).
        ``read_s`` bounds each wait for the provider (None: the caller's deadline does)."""
        try:
            if self._prepared is None:
                self._prepared = self._upstream.prepare(self.url, self._sent)
            response = await self._upstream.post(self._prepared, body, self._connect_s, read_s)
        except (httpx.TransportError, httpx.DecodingError, TimeoutError) as exc:
            raise self._transport_error(exc, model) from None
        if response.status_code < 400:
            return response
        try:
            content = await _read_capped(response, MAX_ERROR_BYTES) or b""
        except (httpx.TransportError, httpx.DecodingError, TimeoutError):
            content = b""
        finally:
            await response.aclose()
        failure = status_error(response.status_code, content, response.headers, self._secrets)
        assert failure is not None
        raise self.error(
            failure.message,
            model,
            failure.kind,
            status_code=response.status_code,
            retry_after_s=failure.wait_s,
            wait_basis=failure.wait_basis,
            daily_quota=failure.daily_quota,
            rate_limits=rate_limit_values(response.headers.items()),
        )

    async def complete(self, body: bytes, model: str) -> Completion:
        """One plain chat completion, within the provider's total deadline."""
        try:
            async with asyncio.timeout(self.timeout_s):
                # Each read needs no deadline of its own: the whole answer has this one, and a
                # read's (the same length, started later) would never be the first to pass.
                response = await self._open(body, model, None)
                try:
                    content = await _read_capped(response, self.max_answer_bytes)
                finally:
                    await response.aclose()
        except (httpx.TransportError, httpx.DecodingError, TimeoutError) as exc:
            raise self._transport_error(exc, model) from None
        status = response.status_code
        if content is None:
            raise self.error(
                f"the answer is larger than {self.max_answer_bytes} bytes", model, "bad_response"
            )
        try:
            document, _ = load_json(content)
        except (ValueError, RecursionError):
            raise self.error(
                f"the answer is not JSON (HTTP {status}, {len(content)} bytes)",
                model,
                "bad_response",
                status_code=status,
            ) from None
        choices = document.get("choices") if isinstance(document, dict) else None
        if not isinstance(choices, list) or not choices:
            raise self.error("the answer has no choices", model, "bad_response", status_code=status)
        return Completion(self.without_key(content), status, *_tokens(document))

    async def stream(self, body: bytes, model: str) -> Stream:
        """Open a streamed completion and read up to its first data event (within the total
        deadline), so that a provider failing before it answers is still a plain failure."""
        try:
            async with asyncio.timeout(self.timeout_s):
                response = await self._open(body, model, self.timeout_s)
                stream = Stream(self, response, model)
                try:
                    await stream.first()
                except BaseException:
                    await response.aclose()
                    raise
        except (httpx.TransportError, httpx.DecodingError, TimeoutError) as exc:
            raise self._transport_error(exc, model) from None
        return stream


class Stream:
    """A provider's event stream, started: :attr:`head` holds what came before and with its
    first data event; :meth:`rest` yields every later event, then ends, or raises ProviderError."""

    def __init__(self, provider: AsyncProvider, response: UpstreamAnswer, model: str) -> None:
        self._provider = provider
        self.response = response
        self.model = model
        self.status_code = response.status_code
        self._splitter = EventSplitter(MAX_EVENT_BYTES)
        self._chunks = response.aiter_bytes()
        self.deadline = asyncio.get_running_loop().time() + STREAM_MAX_S
        # The gateway's own pool bounds each read by the deadline itself (one timer a read).
        self._bounded_reads = hasattr(response, "read_deadline")
        if self._bounded_reads:
            response.read_deadline = self.deadline  # type: ignore[attr-defined]
        self._queued: list[bytes] = []
        self.head = b""
        self.done = False  # the provider sent [DONE]
        self.facts = ChunkFacts()
        self.started = time.perf_counter()

    def _note(self, data: bytes) -> str | None:
        """Take in one event's data; an in-band error's message, if it is one."""
        if data.strip() == b"[DONE]":
            self.done = True
            return None
        facts = chunk_facts(data)
        if facts is None:
            return None
        if facts.error is not None:
            return facts.error
        self.facts = facts
        return None

    async def _next_events(self) -> list[bytes] | None:
        try:
            if self._bounded_reads:
                chunk = await anext(self._chunks)
            else:
                async with asyncio.timeout_at(self.deadline):
                    chunk = await anext(self._chunks)
        except StopAsyncIteration:
            leftover = self._splitter.leftover
            self._splitter = EventSplitter(MAX_EVENT_BYTES)
            return [leftover] if leftover else None
        try:
            return self._splitter.feed(chunk)
        except EventTooLarge as exc:
            raise self._provider.error(str(exc), self.model, "bad_response") from None

    async def first(self) -> None:
        """Read until the first data event; a stream that ends or errs before it fails."""
        head: list[bytes] = []
        while True:
            events = await self._next_events()
            if events is None:
                raise self._provider.error(
                    "the stream ended before any data",
                    self.model,
                    "bad_response",
                    status_code=self.status_code,
                )
            for index, event in enumerate(events):
                data = event_data(event)
                if data is None:
                    continue  # comments and keep-alives before the answer are not passed on
                error = self._note(data)
                if error is not None:
                    raise self._provider.error(
                        f"the stream failed: {excerpt(error, self._provider.secrets, 200)}",
                        self.model,
                        "stream_error",
                        status_code=self.status_code,
                    )
                head.append(event + b"\n\n")
                self._queued = events[index + 1 :]
                self.head = self._provider.without_key(b"".join(head))
                return

    async def rest(self) -> AsyncIterator[bytes]:
        """The events after the head, as bytes to send (the events that came in one read, joined:
        one write to the client for them); ProviderError if the stream breaks, once the events
        before the one that broke it are given."""
        try:
            pending = self._queued
            self._queued = []
            while True:
                ready: list[bytes] = []
                for event in pending:
                    data = event_data(event)
                    if data is not None:
                        error = self._note(data)
                        if error is not None:
                            if ready:
                                yield self._provider.without_key(b"".join(ready))
                            raise self._provider.error(
                                f"the stream failed: {excerpt(error, self._provider.secrets, 200)}",
                                self.model,
                                "stream_error",
                                status_code=self.status_code,
                            )
                    ready += (event, b"\n\n")
                if ready:
                    yield self._provider.without_key(b"".join(ready))
                if self.done:
                    return
                events = await self._next_events()
                if events is None:
                    return  # ended cleanly; the caller ends the client's stream with [DONE]
                pending = events
        except (httpx.TransportError, httpx.DecodingError, TimeoutError) as exc:
            raise self._provider._transport_error(exc, self.model) from None

    async def aclose(self) -> None:
        await self.response.aclose()
