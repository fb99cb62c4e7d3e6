"""Compressed bodies decoded a bounded piece at a time: a gzip bomb against the Inflater itself,
the bounded exchanges (sync and async) and both gateway upstreams, on a real loopback server."""

from __future__ import annotations

import asyncio
import gzip
import tracemalloc
import zlib

import httpx
import pytest

from freegin_gitops.adapters.bounded_http import exchange, exchange_async, new_client
from freegin_gitops.adapters.inflate import PIECE, EncodingBroken, Inflater
from freegin_gitops.adapters.upstream_http import Http1Pool, HttpxUpstream
from freegin_gitops.errors import TransportFailed
from tests.support.hostile_http import HostileServer

MIB = 1024 * 1024
BOMB_MIB = 200


def _gzip_zeros(mib: int) -> bytes:
    """``mib`` MiB of zeros, gzipped (about 1 KiB per MiB), made without holding them."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"\0" * MIB
    return b"".join([*(packer.compress(zeros) for _ in range(mib)), packer.flush()])


BOMB = _gzip_zeros(BOMB_MIB)  # about 200 KiB on the wire


def _bomb(conn, request, server):
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {len(BOMB)}\r\n\r\n"
    )
    conn.sendall(head.encode() + BOMB)


def test_one_read_of_a_bomb_inflates_a_piece_at_a_time():
    inflater = Inflater("gzip")
    sizes = [len(piece) for piece in inflater.feed(BOMB[: 64 * 1024])]
    assert max(sizes) <= PIECE
    assert sum(sizes) > 32 * MIB  # the whole read was decoded, in pieces


@pytest.mark.parametrize(
    ("encoding", "packed"),
    [
        ("gzip", gzip.compress(b"hello world" * 100)),
        ("deflate", zlib.compress(b"hello world" * 100)),
        ("deflate", zlib.compress(b"hello world" * 100)[2:-4]),  # raw deflate, as some servers send
        ("identity", b"hello world" * 100),
        (None, b"hello world" * 100),
    ],
)
def test_bodies_decode_whole(encoding, packed):
    inflater = Inflater(encoding)
    data = b"".join(piece for i in range(0, len(packed), 7) for piece in inflater.feed(packed[i : i + 7]))
    assert data + inflater.finish() == b"hello world" * 100


def test_broken_and_unasked_encodings_are_refused():
    with pytest.raises(EncodingBroken, match=r"^the answer's gzip encoding is broken$"):
        list(Inflater("gzip").feed(b"not gzip at all"))
    with pytest.raises(EncodingBroken, match=r"^the answer's content encoding 'br' was not asked for$"):
        Inflater("br")


def test_the_exchange_cap_bounds_the_memory_of_a_bomb():
    with HostileServer(_bomb) as server, new_client() as client:
        tracemalloc.start()
        try:
            with pytest.raises(TransportFailed, match="answer too large: more than 1 MiB"):
                exchange(client, "GET", server.url, deadline_s=20, max_bytes=MIB)
            _now, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * MIB, f"peak {peak / MIB:.0f} MiB"  # one read decoded whole was 64 MiB


def test_the_async_exchange_refuses_a_bomb_past_its_cap():
    async def main():
        async with httpx.AsyncClient() as client:
            await exchange_async(client, "GET", server.url, deadline_s=20, max_bytes=MIB)

    with HostileServer(_bomb) as server, pytest.raises(TransportFailed, match="answer too large"):
        asyncio.run(main())


@pytest.mark.parametrize("upstream", [Http1Pool, lambda: HttpxUpstream(httpx.AsyncClient())])
def test_the_gateway_upstreams_decode_a_bomb_a_piece_at_a_time(upstream):
    async def main(url):
        pool = upstream()
        answer = await pool.post(pool.prepare(f"{url}/v1/chat/completions", {}), b"{}", 5, 5)
        sizes = []
        async for piece in answer.aiter_bytes():
            sizes.append(len(piece))
            if sum(sizes) > 4 * MIB:
                break
        await answer.aclose()
        await pool.aclose()
        return sizes

    with HostileServer(_bomb) as server:
        sizes = asyncio.run(main(server.url))
    assert sum(sizes) > 4 * MIB and max(sizes) <= PIECE
