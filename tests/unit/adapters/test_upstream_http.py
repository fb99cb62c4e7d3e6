"""The gateway's HTTP/1.1 pool against a real loopback server that answers with scripted bytes."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import gzip
from collections.abc import Callable

import httpx
import pytest

from freegin_gitops.adapters.upstream_http import Http1Pool, HttpxUpstream, gateway_upstream
from freegin_gitops.adapters.upstream_link import MAX_HEAD_BYTES, Parsed

Script = Callable[[bytes, int], bytes | None]  # (request, its number on the connection) -> reply


async def serve(script: Script, *, close_after: int | None = None):
    """A server writing ``script``'s reply for each request; returns (server, port, connections)."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(0)
        number = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                request = head + await reader.readexactly(length)
                reply = script(request, number)
                number += 1
                if reply is None:
                    writer.close()
                    return
                writer.write(reply)
                await writer.drain()
                if close_after is not None and number >= close_after:
                    writer.close()
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1], connections


def ok(body: bytes = b'{"ok": true}', extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def call(pool: Http1Pool, port: int, body: bytes = b"{}", headers=None) -> tuple[int, bytes, dict]:
    endpoint = pool.prepare(
        f"http://127.0.0.1:{port}/v1/chat/completions", headers or {"Authorization": "Bearer k"}
    )
    answer = await pool.post(endpoint, body, 2, 2)
    data = b"".join([chunk async for chunk in answer.aiter_bytes()])
    await answer.aclose()
    return answer.status_code, data, answer.headers


def run(coroutine):
    return asyncio.run(asyncio.wait_for(coroutine, 10))


def test_requests_reuse_one_keep_alive_connection_and_carry_the_head():
    seen: list[bytes] = []

    async def main():
        server, port, connections = await serve(lambda request, n: seen.append(request) or ok())
        pool = Http1Pool()
        results = [await call(pool, port, b'{"n": %d}' % i) for i in range(3)]
        await pool.aclose()
        server.close()
        return results, connections

    results, connections = run(main())
    assert [r[:2] for r in results] == [(200, b'{"ok": true}')] * 3
    assert len(connections) == 1
    first = seen[0].decode()
    assert first.startswith("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:")
    assert "Authorization: Bearer k\r\n" in first and first.endswith('Content-Length: 8\r\n\r\n{"n": 0}')


def test_a_connection_the_server_closed_is_replaced_once():
    async def main():
        server, port, connections = await serve(lambda request, n: ok(), close_after=1)
        pool = Http1Pool()
        statuses = [(await call(pool, port))[0] for _ in range(3)]
        server.close()
        return statuses, connections

    statuses, connections = run(main())
    assert statuses == [200, 200, 200]
    assert len(connections) == 3


def test_an_answer_that_came_to_its_end_goes_back_to_the_pool_when_closed_early():
    # A stream's reader stops at [DONE] without asking the body for more: the chunked answer has
    # ended all the same, so its connection is kept; one closed before its end is not.
    events = b"data: 1\n\ndata: [DONE]\n\n"
    whole = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n" % (
        len(events),
        events,
    )
    unfinished = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n" % (
        len(events),
        events,
    )

    async def first_piece(pool: Http1Pool, port: int) -> bytes:
        answer = await pool.post(pool.prepare(f"http://127.0.0.1:{port}/v1/x", {}), b"{}", 2, 2)
        pieces = answer.aiter_bytes()
        piece = await anext(pieces)
        await answer.aclose()
        return piece

    async def main(reply: bytes):
        server, port, connections = await serve(lambda request, n: reply)
        pool = Http1Pool()
        pieces = [await first_piece(pool, port) for _ in range(3)]
        await pool.aclose()
        server.close()
        return pieces, len(connections)

    assert run(main(whole)) == ([events] * 3, 1)
    assert run(main(unfinished)) == ([events] * 3, 3)


def test_chunked_and_gzip_bodies_are_decoded():
    packed = gzip.compress(b'{"choices": [1]}')
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n"
    chunked += (
        b"%x\r\n%s\r\n" % (5, packed[:5]) + b"%x\r\n%s\r\n" % (len(packed) - 5, packed[5:]) + b"0\r\n\r\n"
    )

    async def main():
        server, port, _ = await serve(lambda request, n: chunked)
        result = await call(Http1Pool(), port)
        server.close()
        return result

    status, data, headers = run(main())
    assert (status, data) == (200, b'{"choices": [1]}')
    assert headers["content-encoding"] == "gzip"


def test_a_body_cut_short_is_a_protocol_error_and_the_connection_is_not_reused():
    async def main():
        server, port, _ = await serve(
            lambda request, n: b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", close_after=1
        )
        pool = Http1Pool()
        endpoint = pool.prepare(f"http://127.0.0.1:{port}/v1/x", {})
        answer = await pool.post(endpoint, b"{}", 2, 2)
        with pytest.raises(httpx.RemoteProtocolError):
            async for _ in answer.aiter_bytes():
                pass
        server.close()
        return pool._idle

    assert all(not idle for idle in run(main()).values())


def test_a_body_ended_by_closing_the_connection_is_whole():
    async def main():
        server, port, _ = await serve(
            lambda request, n: b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", close_after=1
        )
        result = await call(Http1Pool(), port)
        server.close()
        return result

    assert run(main())[1] == b"until the end"


def test_errors_are_httpx_errors():
    async def main():
        pool = Http1Pool()
        with pytest.raises(httpx.ConnectError):
            await call(pool, 9)
        silent, port, _ = await serve(lambda request, n: b"")  # never answers
        endpoint = pool.prepare(f"http://127.0.0.1:{port}/v1/x", {})
        with pytest.raises(httpx.ReadTimeout):
            await pool.post(endpoint, b"{}", 1, 0.2)
        garbage, gport, _ = await serve(lambda request, n: b"NOT HTTP AT ALL\r\n\r\n")
        with pytest.raises(httpx.RemoteProtocolError):
            await call(pool, gport)
        silent.close()
        garbage.close()

    run(main())


def test_an_answer_whose_headers_never_end_is_refused_at_the_head_limit_not_kept_growing():
    """A hostile server's endless headers (many lines, or one line that never ends) are a
    protocol error once the head passes 64 KiB, and the connection is not reused."""
    many = b"HTTP/1.1 200 OK\r\n" + b"X-Filler: " + b"a" * 1000 + b"\r\n"
    endless_line = b"HTTP/1.1 200 OK\r\nX-Filler: " + b"a" * 1000

    async def refused(first: bytes, repeat: bytes) -> tuple[str, dict]:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(first)
            with contextlib.suppress(ConnectionError):
                for _ in range(10_000):  # 10 MB unless the reader gives up
                    writer.write(repeat)
                    await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = Http1Pool()
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await call(pool, port)
        server.close()
        return str(caught.value), pool._idle

    for first, repeat in ((many, b"X-Filler: " + b"a" * 1000 + b"\r\n"), (endless_line, b"a" * 1000)):
        message, idle = run(refused(first, repeat))
        assert message == "the answer's headers are over 64 KiB and not done"
        assert all(not connections for connections in idle.values())


def test_a_head_just_under_the_limit_is_read():
    filler = b"X-Filler: " + b"a" * (60 * 1024) + b"\r\n"

    async def main():
        server, port, _ = await serve(lambda request, n: ok(extra=filler))
        result = await call(Http1Pool(), port)
        server.close()
        return result

    status, data, headers = run(main())
    assert (status, data) == (200, b'{"ok": true}') and headers.get("x-filler") == "a" * (60 * 1024)


def test_a_body_that_stalls_fails_by_the_read_timeout_or_by_the_whole_body_deadline():
    stalled = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"  # then nothing

    async def read(read_s: float, deadline_in: float | None) -> tuple[list[bytes], str]:
        """The pieces read, and the error the read ended with (caught here, not by run's bound)."""
        server, port, _ = await serve(lambda request, n: stalled)
        pool = Http1Pool()
        answer = await pool.post(pool.prepare(f"http://127.0.0.1:{port}/v1/x", {}), b"{}", 2, read_s)
        if deadline_in is not None:
            answer.read_deadline = asyncio.get_running_loop().time() + deadline_in
        got: list[bytes] = []
        try:
            async for piece in answer.aiter_bytes():
                got.append(piece)
        except TimeoutError as exc:  # httpx.ReadTimeout is not one
            return got, type(exc).__name__
        except httpx.ReadTimeout as exc:
            return got, type(exc).__name__
        finally:
            await answer.aclose()
            server.close()
        return got, "no error"

    assert run(read(0.2, None)) == ([b"first"], "ReadTimeout")  # each wait for the server is bounded
    assert run(read(0.2, 30)) == ([b"first"], "ReadTimeout")  # the wait's own bound passes first
    assert run(read(30, 0.2)) == ([b"first"], "TimeoutError")  # the whole body's deadline first


def test_bytes_sent_on_an_idle_connection_are_not_taken_for_the_next_answer():
    # A server that says something unasked (a 408 before it closes, say) once an answer is read:
    # that connection is not used again, so the next request gets its own answer.
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(0)
        number = 0
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0]))
                writer.write(ok(b'{"n": %d}' % number))
                number += 1
                await asyncio.sleep(0.05)
                writer.write(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = Http1Pool()
        first = await call(pool, port)
        await asyncio.sleep(0.2)  # the unasked answer arrives while the connection is idle
        second = await call(pool, port)
        await pool.aclose()
        server.close()
        return first[:2], second[:2], len(connections)

    assert run(main()) == ((200, b'{"n": 0}'), (200, b'{"n": 0}'), 2)


def test_a_second_answer_sent_with_the_first_is_a_protocol_error_not_part_of_its_body():
    async def main():
        server, port, _ = await serve(lambda request, n: ok(b'{"a": 1}') + ok(b'{"b": 2}'))
        pool = Http1Pool()
        try:
            with pytest.raises(httpx.RemoteProtocolError, match="a second answer to one request"):
                await call(pool, port)
        finally:
            await pool.aclose()
            server.close()

    run(main())


def test_interim_answers_before_the_final_one_are_skipped():
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n"
    going_on = b"HTTP/1.1 100 Continue\r\n\r\n"

    async def main():
        server, port, _ = await serve(lambda request, n: early + going_on + early + ok(b'{"n": %d}' % n))
        pool = Http1Pool()
        try:
            first = await call(pool, port)
            second = await call(pool, port)  # the connection is still good for the next request
        finally:
            await pool.aclose()
            server.close()
        return first, second

    (status, body, headers), (_, again, _) = run(main())
    assert (status, body, again) == (200, b'{"n": 0}', b'{"n": 1}')
    assert "link" not in headers  # the interim answers' headers are not the answer's


def test_interim_answers_in_pieces_and_past_the_head_limit():
    early = b"HTTP/1.1 103 Early Hints\r\nLink: </a.js>; rel=preload\r\n\r\n"
    parsed = Parsed()
    for piece in (early[:10], early[10:], ok(b"{}")[:5]):
        parsed.feed(piece)
        assert (parsed.head_done, parsed.status_code, parsed.headers) == (False, 0, [])
    parsed.feed(ok(b"{}")[5:])
    assert (parsed.done, parsed.status_code, parsed.take()) == (True, 200, b"{}")
    endless = Parsed()  # a server that sends interim answers for ever is cut off at the limit
    with pytest.raises(httpx.RemoteProtocolError, match="headers are over 64 KiB"):
        for _ in range(MAX_HEAD_BYTES // len(early) + 1):
            endless.feed(early)


def test_bytes_after_a_complete_answer_are_a_protocol_error():
    parsed = Parsed()
    parsed.feed(ok(b"{}", b"Connection: keep-alive\r\n"))
    assert (parsed.done, parsed.status_code, parsed.keep_alive, parsed.take()) == (True, 200, True, b"{}")
    with pytest.raises(httpx.RemoteProtocolError, match="bytes after its answer ended"):
        parsed.feed(b"HTTP/1.1 408 Request Timeout\r\n")


def test_a_head_that_comes_in_pieces_is_counted_across_them_up_to_the_limit():
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Filler: " + b"a" * MAX_HEAD_BYTES + b"\r\n\r\n"
    parsed = Parsed()
    parsed.feed(head[: MAX_HEAD_BYTES // 2])
    parsed.feed(head[MAX_HEAD_BYTES // 2 : MAX_HEAD_BYTES])  # exactly the limit, not done: read on
    assert not parsed.head_done
    parsed.feed(head[MAX_HEAD_BYTES:] + b"{}")
    assert (parsed.done, parsed.take()) == (True, b"{}")
    over = Parsed()
    over.feed(head[:MAX_HEAD_BYTES])
    with pytest.raises(httpx.RemoteProtocolError, match="headers are over 64 KiB"):
        over.feed(head[MAX_HEAD_BYTES : MAX_HEAD_BYTES + 1])


def test_answers_read_to_their_end_leave_no_garbage_for_the_collector():
    # The parser and the object it calls back hold each other until the answer is complete;
    # after that the answer is freed by reference counting, not by a pause of the collector.
    async def main():
        server, port, _ = await serve(lambda request, n: ok())
        pool = Http1Pool()
        await call(pool, port)
        gc.collect()
        gc.disable()
        try:
            for _ in range(20):
                await call(pool, port)
            found = gc.collect()
        finally:
            gc.enable()
            await pool.aclose()
            server.close()
        return found

    assert run(main()) < 20  # 180 (nine objects a request) while the parser was kept


def test_a_large_body_read_slowly_comes_whole():
    # Past HIGH_WATER parsed bytes the connection stops reading until the reader catches up.
    body = bytes(range(256)) * 4096  # 1 MiB

    async def main():
        server, port, _ = await serve(lambda request, n: ok(body))
        pool = Http1Pool()
        answer = await pool.post(pool.prepare(f"http://127.0.0.1:{port}/v1/x", {}), b"{}", 2, 2)
        parts = []
        async for piece in answer.aiter_bytes():
            parts.append(piece)
            await asyncio.sleep(0)  # a slow reader
        await answer.aclose()
        again = await call(pool, port)
        await pool.aclose()
        server.close()
        return b"".join(parts), again[1]

    got, again = run(main())
    assert got == body and again == body


def test_header_values_with_line_breaks_are_refused():
    with pytest.raises(httpx.LocalProtocolError):
        Http1Pool().prepare("http://127.0.0.1:1/v1", {"X-Evil": "a\r\nHost: other"})
    with pytest.raises(httpx.UnsupportedProtocol):
        Http1Pool().prepare("ftp://example.org/v1", {})


def test_a_proxy_variable_selects_httpx_which_honours_it():
    assert isinstance(gateway_upstream({}), Http1Pool)
    assert isinstance(gateway_upstream({"HTTPS_PROXY": "http://127.0.0.1:3128"}), HttpxUpstream)
