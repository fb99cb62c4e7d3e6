"""One upstream HTTP/1.1 connection of the gateway's pool, as an asyncio protocol: the bytes the
provider sends go straight into httptools (uvicorn's C parser) as they arrive, and the task
reading the answer is woken once per arrival, with no stream reader between (a stream's
events are relayed one arrival at a time, so that layer was paid for on every event). Reading
pauses while a parsed body waits unread past :data:`HIGH_WATER` bytes.

Errors are httpx's exception types, as the rest of the pool's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import cast

import httptools
import httpx

HIGH_WATER = 128 * 1024  # parsed body bytes waiting unread before reading pauses
MAX_HEAD_BYTES = 64 * 1024  # an answer's status line and headers (httpx's h11 allows 100 KB)


class Parsed:
    """httptools' callbacks for one answer, collected.

    The parser calls this object back, so the two hold each other: a reference cycle, which only
    the garbage collector frees. Once the answer is complete the parser is let go, so that an
    answer read to its end is freed as soon as it is no longer used (under load those cycles were
    most of the gateway's garbage, about 7,900 of 8,170 unreachable objects, and the collections
    the event loop pauses for, one every 16 to 20 requests, took 0.14 ms each instead of 0.10)."""

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.interim = False  # the head parsed is an interim answer's (1xx): the final one follows
        self.status_code = 0
        self.keep_alive = False
        self.done = False
        self.body: deque[bytes] = deque()
        self.buffered = 0  # bytes in ``body``
        self.head_bytes = 0  # bytes fed before the head was complete
        self.parser: httptools.HttpResponseParser | None = httptools.HttpResponseParser(self)

    def on_message_begin(self) -> None:
        if self.head_done:
            # A second answer in the bytes of this one (none was asked for): httptools would
            # parse it into this one.
            raise httpx.RemoteProtocolError("the server sent a second answer to one request")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        parser = self.parser
        assert parser is not None  # it is calling
        status = parser.get_status_code()
        if 100 <= status < 200 and status != 101:
            # An interim answer (100 Continue, 103 Early Hints): HTTP/1.1 lets a server send any
            # number before the final one. Its headers are not the answer's; its bytes count
            # towards the head's limit with the final head's.
            self.interim = True
            self.headers = []
            return
        self.head_done = True
        self.status_code = status
        # Asked now: httptools forgets it once the message is complete.
        self.keep_alive = parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.buffered += len(body)

    def on_message_complete(self) -> None:
        if self.interim:  # an interim answer has no body: the final one comes next
            self.interim = False
            return
        self.done = True
        self.parser = None  # the cycle is broken; what the answer needs is collected

    def take(self) -> bytes:
        piece = self.body.popleft()
        self.buffered -= len(piece)
        return piece

    def feed(self, data: bytes) -> None:
        """Parse ``data``; httpx.RemoteProtocolError for what is not an HTTP answer, and for a head
        (status line and headers) over :data:`MAX_HEAD_BYTES`, which httptools would otherwise
        keep growing for as long as a server sends it."""
        parser = self.parser
        if parser is None:
            raise httpx.RemoteProtocolError("the server sent bytes after its answer ended")
        try:
            parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            raise httpx.RemoteProtocolError("the server switched protocols") from None
        except httptools.HttpParserError as exc:
            if isinstance(exc.__context__, httpx.RemoteProtocolError):  # a callback's own
                raise exc.__context__ from None
            raise httpx.RemoteProtocolError(f"malformed HTTP answer ({exc})") from None
        if not self.head_done:
            self.head_bytes += len(data)
            if self.head_bytes > MAX_HEAD_BYTES:
                raise httpx.RemoteProtocolError(
                    f"the answer's headers are over {MAX_HEAD_BYTES // 1024} KiB and not done"
                )

    def delimited(self) -> bool:
        """True if the body's end is marked (a length or chunks), not the connection's close."""
        for name, value in self.headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                lowered == b"transfer-encoding" and b"chunked" in value.lower()
            ):
                return True
        return False


class Link(asyncio.Protocol):
    """A connection to a provider; :meth:`begin` an answer, :meth:`send` the request, then
    :meth:`wait` for each arrival of the answer's bytes (parsed into it as they came)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parsed: Parsed | None = None
        self.idle_since = 0.0
        self._arrived = False  # bytes were parsed since the last wait
        self._ended = False  # the server closed, or the connection broke
        self._error: httpx.TransportError | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._drained: asyncio.Future[None] | None = None
        self._write_paused = False
        self._read_paused = False

    # -- asyncio's side ------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        parsed = self.parsed
        if parsed is None:  # bytes no request asked for: the connection cannot be trusted again
            self._end(None)
            self.close()
            return
        if self._error is None:
            try:
                parsed.feed(data)
            except httpx.RemoteProtocolError as exc:
                self._error = exc
                self.close()
        self._arrived = True
        if parsed.buffered > HIGH_WATER and self.transport is not None and not self._read_paused:
            self._read_paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self._end(None)
        return False  # the transport closes itself

    def connection_lost(self, exc: Exception | None) -> None:
        error = None
        if exc is not None:
            error = httpx.ReadError(f"cannot read from the server ({type(exc).__name__})")
        self._end(error)
        self._write_paused = False
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _end(self, error: httpx.TransportError | None) -> None:
        self._ended = True
        if error is not None and self._error is None:
            self._error = error
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- the pool's side -----------------------------------------------------------------------
    def usable(self, now: float, expiry_s: float) -> bool:
        transport = self.transport
        return (
            not self._ended
            and transport is not None
            and not transport.is_closing()
            and now - self.idle_since < expiry_s
        )

    def begin(self, parsed: Parsed | None) -> None:
        """Parse what comes next into ``parsed`` (None: nothing is expected)."""
        self.parsed = parsed
        self._arrived = False

    async def send(self, message: bytes, timeout: float | None) -> None:
        """Write the request; wait (within ``timeout``) only while the transport's buffer is full.
        httpx.WriteError when the connection is already gone."""
        transport = self.transport
        if self._ended or transport is None or transport.is_closing():
            raise httpx.WriteError("cannot send the request (the connection is closed)")
        transport.write(message)
        if not self._write_paused:
            return
        self._drained = drained = asyncio.get_running_loop().create_future()
        try:
            async with asyncio.timeout(timeout):
                await drained
        except TimeoutError:
            raise httpx.WriteTimeout("timed out sending the request") from None
        if self._ended:
            raise httpx.WriteError("cannot send the request (the connection was closed)")

    async def wait(self, timeout: float | None, deadline: float | None = None) -> bool:
        """Wait for bytes (parsed into the answer by then): True when some came, False when the
        server closed the connection. Each wait lasts at most ``timeout`` (httpx.ReadTimeout) and
        ends by the loop time ``deadline`` (TimeoutError); httpx.ReadError if the connection
        broke, httpx.RemoteProtocolError if what came is not HTTP."""
        if not self._arrived and not self._ended:
            if self._read_paused and self.transport is not None:
                self._read_paused = False
                self.transport.resume_reading()
            loop = asyncio.get_running_loop()
            when = None if timeout is None else loop.time() + timeout
            timer = None
            self._waiter = waiter = loop.create_future()
            if deadline is not None and (when is None or deadline <= when):
                timer = loop.call_at(deadline, _expire, waiter, False)
            elif when is not None:
                timer = loop.call_at(when, _expire, waiter, True)
            try:
                await waiter
            finally:
                self._waiter = None
                if timer is not None:
                    timer.cancel()
        if self._error is not None:
            raise self._error
        if self._arrived:
            self._arrived = False
            return True
        return False

    def close(self) -> None:
        if self.transport is not None:
            with contextlib.suppress(Exception):
                self.transport.close()


def _expire(waiter: asyncio.Future[None], read_timeout: bool) -> None:
    """End a wait: the read's own timeout (httpx.ReadTimeout) or the caller's deadline."""
    if not waiter.done():
        error = httpx.ReadTimeout("timed out waiting for the server") if read_timeout else TimeoutError()
        waiter.set_exception(error)
