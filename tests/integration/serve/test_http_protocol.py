"""The gateway's uvicorn protocol under a real uvicorn server on loopback: a response's head goes
out in one write with its first body part, and what the client reads is what uvicorn sends."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from freegin_gitops.services.serve.http_protocol import OneWriteHttpToolsProtocol

WRITES: list[bytes] = []


class Recording(OneWriteHttpToolsProtocol):
    """The protocol, its transport's writes recorded."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        write = transport.write

        def recorded(data: Any) -> None:
            WRITES.append(bytes(data))
            write(data)

        transport.write = recorded  # type: ignore[method-assign]
        super().connection_made(transport)


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await receive()
    path = scope["path"]
    if path == "/plain":
        headers = [(b"content-type", b"application/json"), (b"content-length", b"11")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b'{"ok":true}'})
    elif path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for part in (b"one", b"two", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
            await asyncio.sleep(0.01)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    elif path == "/broken":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]})
        raise RuntimeError("the app fails after starting its answer")


@contextmanager
def running() -> Iterator[int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    config = uvicorn.Config(app, http=Recording, log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started:
        threading.Event().wait(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def exchange(port: int, *paths: str) -> bytes:
    """What the server sent for ``paths``, asked one after another on one connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
        for path in paths:
            client.sendall(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        received = b""
        while True:
            data = client.recv(65536)
            if not data:
                return received
            received += data
            if received.count(b"0\r\n\r\n") + received.count(b'"ok":true') >= len(paths):
                return received


@pytest.fixture(autouse=True)
def clear() -> None:
    WRITES.clear()


def test_a_plain_answer_is_one_write_and_the_connection_stays_open() -> None:
    with running() as port:
        received = exchange(port, "/plain", "/plain")
    assert received.count(b"HTTP/1.1 200 OK\r\n") == 2
    assert received.endswith(b"content-length: 11\r\n\r\n" + b'{"ok":true}')
    assert len(WRITES) == 2  # one per answer: its head and body together
    assert all(w.startswith(b"HTTP/1.1 200 OK\r\n") and w.endswith(b'{"ok":true}') for w in WRITES)


def test_a_stream_sends_its_head_with_its_first_part_then_each_part_as_it_comes() -> None:
    with running() as port:
        received = exchange(port, "/stream")
    assert received.endswith(b"\r\n\r\n3\r\none\r\n3\r\ntwo\r\n5\r\nthree\r\n0\r\n\r\n")
    assert b"transfer-encoding: chunked\r\n" in received
    assert len(WRITES) == 4
    assert WRITES[0].startswith(b"HTTP/1.1 200 OK\r\n") and WRITES[0].endswith(b"\r\n\r\n3\r\none\r\n")
    assert WRITES[1:] == [b"3\r\ntwo\r\n", b"5\r\nthree\r\n", b"0\r\n\r\n"]


def test_an_app_failing_after_its_start_sends_the_head_and_closes_as_uvicorn_does() -> None:
    with running() as port:
        received = exchange(port, "/broken")
    assert received.startswith(b"HTTP/1.1 200 OK\r\n")
    assert received.endswith(b"content-length: 5\r\n\r\n")  # then the connection closed
    assert len(WRITES) == 1
