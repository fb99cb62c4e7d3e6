"""One upstream connection (:class:`Link`) over real loopback sockets: its flow control both ways,
its timeouts and deadlines, and how it ends. The pool's tests (``test_upstream_http.py``) use it
through whole exchanges; these drive it where an exchange rarely goes: a provider that stops
reading, one that sends faster than the gateway reads, one that resets the connection."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import httpx
import pytest

from freegin_gitops.adapters.upstream_link import HIGH_WATER, Link, Parsed


def run(coroutine: Awaitable[object]) -> object:
    return asyncio.run(asyncio.wait_for(coroutine, 20))  # type: ignore[arg-type]


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def linked(handler: Handler) -> tuple[Link, asyncio.Server]:
    """A Link connected to a loopback server running ``handler`` for the connection."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, link = await asyncio.get_running_loop().create_connection(Link, "127.0.0.1", port)
    return link, server


def small_buffers(link: Link) -> None:
    """Shrink the send buffer, so that a few hundred KiB fill it."""
    assert link.transport is not None
    link.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    link.transport.set_write_buffer_limits(high=16 * 1024)


async def never_reads(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await asyncio.sleep(30)


def test_a_request_the_server_does_not_read_fails_by_the_write_timeout():
    async def main():
        link, server = await linked(never_reads)
        small_buffers(link)
        link.begin(Parsed())
        try:
            with pytest.raises(httpx.WriteTimeout, match="timed out sending the request"):
                await link.send(b"x" * (8 * 1024 * 1024), 0.3)
        finally:
            link.close()
            server.close()

    run(main())


def test_a_request_larger_than_the_buffers_is_sent_whole_once_the_server_reads():
    received = bytearray()
    size = 8 * 1024 * 1024

    async def slow_reader(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.2)  # the gateway's buffer fills meanwhile
        while len(received) < size:
            received.extend(await reader.read(65536))
        writer.close()

    async def main():
        link, server = await linked(slow_reader)
        small_buffers(link)
        link.begin(Parsed())
        message = bytes(range(256)) * (size // 256)
        try:
            await link.send(message, 10)
            paused_after = link._write_paused
            while len(received) < size:
                await asyncio.sleep(0.01)
        finally:
            link.close()
            server.close()
        return message, paused_after

    message, paused_after = run(main())
    assert bytes(received) == message
    assert paused_after is False  # it returned once the buffer drained, not before


def test_a_connection_reset_while_the_request_waits_to_be_sent_is_a_write_error():
    async def resets(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(0.2)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.close()  # unread data and a zero linger: a reset

    async def main():
        link, server = await linked(resets)
        small_buffers(link)
        link.begin(Parsed())
        try:
            with pytest.raises(httpx.WriteError, match="the connection was closed"):
                await link.send(b"x" * (8 * 1024 * 1024), 10)
        finally:
            link.close()
            server.close()

    run(main())


def test_sending_on_a_closed_connection_is_a_write_error_and_it_is_not_usable():
    async def main():
        link, server = await linked(never_reads)
        loop_now = asyncio.get_running_loop().time()
        link.idle_since = loop_now
        usable_open = link.usable(loop_now, 5)
        expired = link.usable(loop_now + 5, 5)
        link.close()
        usable_closed = link.usable(loop_now, 5)
        try:
            with pytest.raises(httpx.WriteError, match="the connection is closed"):
                await link.send(b"GET / HTTP/1.1\r\n\r\n", 1)
        finally:
            server.close()
        return usable_open, expired, usable_closed

    assert run(main()) == (True, False, False)


def test_a_connection_the_server_closed_ends_the_wait_and_is_not_usable():
    async def closes(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async def main():
        link, server = await linked(closes)
        link.begin(Parsed())
        try:
            came = await link.wait(2)
            return came, link.usable(link.idle_since, 1e9)
        finally:
            link.close()
            server.close()

    assert run(main()) == (False, False)  # the end of the connection, not bytes


def answers(data: bytes, then_sleep: float = 30) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(data)
        await writer.drain()
        await asyncio.sleep(then_sleep)

    return handler


def test_waits_end_by_the_read_timeout_or_by_the_deadline_whichever_comes_first():
    async def main():
        link, server = await linked(never_reads)
        loop = asyncio.get_running_loop()
        outcomes = []
        try:
            for timeout, deadline_in in ((0.05, None), (0.05, 5.0), (5.0, 0.05), (None, 0.05)):
                link.begin(Parsed())
                deadline = None if deadline_in is None else loop.time() + deadline_in
                started = loop.time()
                try:
                    await link.wait(timeout, deadline)
                except (httpx.ReadTimeout, TimeoutError) as exc:
                    outcomes.append((type(exc).__name__, loop.time() - started < 2))
            link.begin(Parsed())
            with pytest.raises(TimeoutError):  # a deadline already passed ends the wait at once
                await link.wait(5.0, loop.time() - 1)
        finally:
            link.close()
            server.close()
        return outcomes

    assert run(main()) == [
        ("ReadTimeout", True),
        ("ReadTimeout", True),
        ("TimeoutError", True),
        ("TimeoutError", True),
    ]


def test_bytes_that_came_are_reported_once_then_the_next_wait_waits():
    async def main():
        link, server = await linked(answers(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab"))
        parsed = Parsed()
        link.begin(parsed)
        try:
            assert await link.wait(2) is True
            while not parsed.body:
                assert await link.wait(2) is True
            with pytest.raises(httpx.ReadTimeout):  # nothing more came: this one waits
                await link.wait(0.1)
            return parsed.status_code, b"".join(parsed.body), parsed.done
        finally:
            link.close()
            server.close()

    assert run(main()) == (200, b"ab", False)


def test_a_broken_connection_is_a_read_error_and_what_is_not_http_a_protocol_error():
    async def resets(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(10)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        writer.transport.abort()

    async def main():
        link, server = await linked(resets)
        link.begin(Parsed())
        try:
            await link.send(b"POST / HTTP/1.1\r\n\r\n", 2)
            with pytest.raises(httpx.ReadError, match="cannot read from the server"):
                while await link.wait(2):
                    pass
        finally:
            link.close()
            server.close()
        garbage, server = await linked(answers(b"SMTP ready\r\n"))
        garbage.begin(Parsed())
        try:
            with pytest.raises(httpx.RemoteProtocolError, match="malformed HTTP answer"):
                await garbage.wait(2)
            with pytest.raises(httpx.RemoteProtocolError):  # and it stays failed
                await garbage.wait(2)
        finally:
            garbage.close()
            server.close()

    run(main())


def test_reading_pauses_past_the_high_water_mark_and_resumes_when_the_reader_waits():
    body = b"z" * (4 * HIGH_WATER)
    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)

    async def main():
        link, server = await linked(answers(head + body))
        parsed = Parsed()
        link.begin(parsed)
        transport = link.transport
        assert transport is not None
        try:
            await link.wait(2)
            while parsed.buffered <= HIGH_WATER and not parsed.done:
                await link.wait(2)
            await asyncio.sleep(0.1)  # the server goes on sending; nothing is read
            paused = (transport.is_reading(), parsed.buffered)
            await asyncio.sleep(0.1)
            still = parsed.buffered
            taken = bytearray()
            while not parsed.done:  # the reader catches up: each wait lets reading go on
                while parsed.body:
                    taken += parsed.take()
                await link.wait(2)
            while parsed.body:
                taken += parsed.take()
            return paused, still, bytes(taken)
        finally:
            link.close()
            server.close()

    (reading, buffered), still, taken = run(main())
    assert reading is False and HIGH_WATER < buffered < len(body)
    assert still == buffered  # paused: nothing more was parsed while no one read
    assert taken == body  # and once read, the rest came, whole
