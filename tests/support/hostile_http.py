"""A real loopback HTTP server that misbehaves on purpose: it trickles its headers or body one
byte at a time, streams an endless chunked body, accepts and never answers, or echoes the key it
was sent. Written on raw sockets, since a well-behaved server library would not do any of this.

Each connection reads the request (headers and ``Content-Length`` body) and then runs the
server's behaviour, a function of the socket and the request. The server records the requests
and the number of body bytes it managed to send.
"""

from __future__ import annotations

import contextlib
import json
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> object:
        return json.loads(self.body) if self.body else None


Behaviour = Callable[[socket.socket, Request, "HostileServer"], None]


@dataclass
class Stats:
    requests: list[Request] = field(default_factory=list)
    body_bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length") or 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return Request(method, path, headers, rest[:length])


class HostileServer:
    """``with HostileServer(behaviour) as server: server.url`` is ``http://127.0.0.1:PORT``."""

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.stats = Stats()
        self._stop = threading.Event()
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                conn: socket.socket = self.request
                while not outer._stop.is_set():
                    request = _read_request(conn)
                    if request is None:
                        return
                    with outer.stats.lock:
                        outer.stats.requests.append(request)
                    try:
                        outer.behaviour(conn, request, outer)
                    except OSError:  # the client gave up: that is the point
                        return

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def sent(self, n: int) -> None:
        with self.stats.lock:
            self.stats.body_bytes_sent += n

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


def response_bytes(status: int, body: bytes, headers: dict[str, str] | None = None) -> tuple[bytes, bytes]:
    """The head and body of a plain HTTP/1.1 response."""
    lines = [f"HTTP/1.1 {status} X", "Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), body


def chat_body(text: str) -> bytes:
    return json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}).encode()


def trickle(data: bytes, interval_s: float, *, after: bytes = b"") -> Behaviour:
    """Send ``after`` at once, then ``data`` one byte every ``interval_s`` seconds."""

    def behave(conn: socket.socket, _request: Request, server: HostileServer) -> None:
        conn.sendall(after)
        for i in range(len(data)):
            if server.stopping:
                return
            conn.sendall(data[i : i + 1])
            server.sent(1)
            time.sleep(interval_s)

    return behave


def reply(status: int, body: bytes, headers: dict[str, str] | None = None) -> Behaviour:
    """A well-formed answer, sent at once."""
    head, payload = response_bytes(status, body, headers)

    def behave(conn: socket.socket, _request: Request, _server: HostileServer) -> None:
        conn.sendall(head + payload)

    return behave


def chunked_answer(total_bytes: int, chunk: int = 65536) -> Behaviour:
    """A 200 whose chunked body is a valid chat answer of ``total_bytes`` bytes, sent as fast as
    the client reads it."""
    prefix = b'{"choices": [{"index": 0, "message": {"role": "assistant", "content": "'
    suffix = b'"}}]}'

    def behave(conn: socket.socket, _request: Request, server: HostileServer) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )

        def send(piece: bytes) -> None:
            conn.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            server.sent(len(piece))

        send(prefix)
        filler = b"x" * chunk
        left = total_bytes - len(prefix) - len(suffix)
        while left > 0 and not server.stopping:
            piece = filler[: min(chunk, left)]
            send(piece)
            left -= len(piece)
        send(suffix)
        conn.sendall(b"0\r\n\r\n")

    return behave


def silent() -> Behaviour:
    """Read the request, then say nothing until the server stops."""

    def behave(_conn: socket.socket, _request: Request, server: HostileServer) -> None:
        while not server.stopping:
            time.sleep(0.05)

    return behave


@contextlib.contextmanager
def silent_listener() -> Iterator[tuple[str, int]]:
    """A TCP port that accepts connections and never sends a byte (for git remotes, too)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        host, port = sock.getsockname()[:2]
        yield host, port
    finally:
        stop.set()
        thread.join(1)
        for conn in accepted:
            conn.close()
        sock.close()
