"""uvicorn's httptools protocol, with each response's head sent in one write with its first body
part. uvicorn writes the status line and headers as soon as the app sends
``http.response.start`` and the body in a second write; on loopback every write is a system call
that also delivers the bytes to the reader, and under load that second call was a sixth of the
gateway's CPU per request. Everything else (parsing, header checks, keep-alive, chunking, flow
control, pipelining, errors) is uvicorn's own code: only the head's write waits.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol, RequestResponseCycle


class _HeldTransport:
    """Stands for the connection's transport between a response's start and its first body
    part: writes are held (and sent in one write when the body part is given), the rest passes
    through. Closing sends what is held first."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.held: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.held.append(data)

    def close(self) -> None:
        self.release().close()

    def release(self) -> asyncio.Transport:
        """Send what is held; the real transport."""
        transport = self.transport
        if self.held:
            data = b"".join(self.held)
            self.held = []
            transport.write(data)
        return transport

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transport, name)


class _OneWriteCycle(RequestResponseCycle):
    """A request's cycle whose response head goes out with its first body part."""

    async def send(self, message: Any) -> None:
        transport = self.transport
        if isinstance(transport, _HeldTransport):
            try:
                await super().send(message)
            finally:
                self.transport = transport.release()
            return
        if message.get("type") == "http.response.start" and not self.response_started:
            held = _HeldTransport(transport)
            self.transport = held  # type: ignore[assignment]  # it stands in for the transport
            try:
                await super().send(message)
            except BaseException:
                self.transport = held.release()
                raise
            if not held.held:  # nothing to hold back (the client had gone)
                self.transport = held.release()
            return
        await super().send(message)


class OneWriteHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol whose request cycles send a head and a first body part in
    one write."""

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        # The cycle's task has been created, not run: it sends through the subclass's send.
        if type(cycle) is RequestResponseCycle:
            cycle.__class__ = _OneWriteCycle

    def connection_lost(self, exc: Exception | None) -> None:
        cycle = self.cycle
        if cycle is not None and isinstance(cycle.transport, _HeldTransport):
            cycle.transport = cycle.transport.transport
        super().connection_lost(exc)
