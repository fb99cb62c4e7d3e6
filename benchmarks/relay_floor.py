"""The floor of any process in the path: a byte relay with no HTTP in it.

    python benchmarks/relay_floor.py LISTEN_PORT UPSTREAM_PORT

Each client connection gets its own connection to the upstream, and bytes are copied both ways
as they arrive (uvloop, asyncio protocols, no parsing, no buffering, no logging). It is not a
gateway: it cannot route, fall back, count or mask anything. ``gateway.py --floor`` measures it
beside ``serve`` so that "added" can be split into what the second hop costs on this machine
(two more loopback writes and reads, one more process to wake) and what the gateway's own work
costs on top of it.
"""

from __future__ import annotations

import asyncio
import signal
import sys


class _Pipe(asyncio.Protocol):
    """One side of a relayed connection: what it reads goes to its peer's transport."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.peer: _Pipe | None = None
        self.pending: list[bytes] = []  # read before the peer connected

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        peer = self.peer
        if peer is not None and peer.transport is not None:
            peer.transport.write(data)
        else:
            self.pending.append(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None and self.peer.transport is not None:
            self.peer.transport.close()


class _Client(_Pipe):
    def __init__(self, upstream_port: int) -> None:
        super().__init__()
        self.upstream_port = upstream_port

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        _, upstream = await loop.create_connection(_Pipe, "127.0.0.1", self.upstream_port)
        upstream.peer, self.peer = self, upstream
        for data in self.pending:
            upstream.transport.write(data)  # type: ignore[union-attr]
        self.pending.clear()


async def main(listen_port: int, upstream_port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Client(upstream_port), "127.0.0.1", listen_port)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    import uvloop

    uvloop.run(main(int(sys.argv[1]), int(sys.argv[2])))
