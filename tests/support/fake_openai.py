"""A real local HTTP server speaking the OpenAI API, with scripted behaviour per provider.

Each provider lives under ``/<name>/v1``: ``POST /<name>/v1/chat/completions`` and
``GET /<name>/v1/models``. A provider answers from a script: a list of :class:`Reply` consumed in
order, the last one repeating. Every request is recorded (path, headers, JSON body) so tests can
check what was sent, including the Authorization header.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes/str sent as is
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    events: list[bytes] | None = None  # a server-sent event stream (chunked), instead of ``body``
    break_after: int | None = None  # drop the connection after this many events
    event_delay_s: float = 0.0

    @classmethod
    def answer(cls, text: str, **usage: int) -> Reply:
        body = {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
            "usage": usage or {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        }
        return cls(200, body)

    @classmethod
    def stream(
        cls,
        *pieces: str,
        usage: dict[str, int] | None = None,
        break_after: int | None = None,
        done: bool = True,
    ) -> Reply:
        """An OpenAI-style chunk stream of ``pieces`` (then a usage chunk, if given, and [DONE])."""

        def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
            body = {
                "id": "chatcmpl-test",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": "test",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return b"data: " + json.dumps(body).encode() + b"\n\n"

        events = [chunk({"role": "assistant", "content": ""})]
        events += [chunk({"content": piece}) for piece in pieces]
        events.append(chunk({}, "stop"))
        if usage is not None:
            body = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "choices": [], "usage": usage}
            events.append(b"data: " + json.dumps(body).encode() + b"\n\n")
        if done:
            events.append(b"data: [DONE]\n\n")
        return cls(200, None, events=events, break_after=break_after)


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received: float = field(default_factory=time.perf_counter)
    answered: float | None = None  # when the reply was written


Responder = Callable[[Any], Reply]  # request JSON body -> reply


@dataclass
class _Provider:
    chat: list[Reply] = field(default_factory=list)
    models: list[str] | Reply | None = None
    responder: Responder | None = None


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops connections when many calls arrive at once
    daemon_threads = True


class FakeOpenAI:
    """Start with ``with FakeOpenAI() as server:``; ``server.url(name)`` is a provider's base URL."""

    def __init__(self) -> None:
        self._providers: dict[str, _Provider] = {}
        self.requests: list[Recorded] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = raw
                recorded = Recorded(method, self.path, dict(self.headers.items()), body)
                fake._record(recorded)
                reply = fake._reply(method, self.path, body)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.events is not None:
                    self._stream(reply, recorded)
                    return
                payload = reply.body
                if isinstance(payload, bytes):
                    data = payload
                elif isinstance(payload, str):
                    data = payload.encode()
                else:
                    data = json.dumps(payload).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                    recorded.answered = time.perf_counter()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _stream(self, reply: Reply, recorded: Recorded) -> None:
                assert reply.events is not None
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Transfer-Encoding", "chunked")
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    for number, event in enumerate(reply.events):
                        if reply.break_after is not None and number >= reply.break_after:
                            self.wfile.flush()
                            self.close_connection = True
                            self.connection.shutdown(2)  # mid-stream: no final chunk
                            return
                        if reply.event_delay_s:
                            time.sleep(reply.event_delay_s)
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(event), event))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    recorded.answered = time.perf_counter()
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self) -> None:
                self._handle("GET")

            def do_POST(self) -> None:
                self._handle("POST")

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # -- scripting ---------------------------------------------------------------------------
    def script(
        self,
        provider: str,
        *replies: Reply,
        models: list[str] | Reply | None = None,
        responder: Responder | None = None,
    ) -> None:
        """Replies to chat calls in order (the last repeats), or ``responder(body)`` for each; and
        the model list ``GET /models`` returns."""
        with self._lock:
            entry = self._providers.setdefault(provider, _Provider())
            entry.chat = list(replies)
            entry.responder = responder
            if models is not None:
                entry.models = models

    def script_events(self, provider: str) -> list[bytes]:
        """The events the provider's current reply streams."""
        with self._lock:
            reply = self._providers[provider].chat[0]
        return [event for event in reply.events or [] if event.strip()]

    def url(self, provider: str) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/{provider}/v1"

    def calls(self, provider: str, endpoint: str = "/chat/completions") -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == f"/{provider}/v1{endpoint}"]

    # -- serving -----------------------------------------------------------------------------
    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _reply(self, method: str, path: str, body: Any = None) -> Reply:
        parts = path.split("/")
        name = parts[1] if len(parts) > 1 else ""
        endpoint = "/" + "/".join(parts[3:]) if len(parts) > 3 else ""
        with self._lock:
            provider = self._providers.get(name)
            if provider is None:
                return Reply(404, {"error": {"message": f"no provider {name}"}})
            if method == "GET" and endpoint == "/models":
                if isinstance(provider.models, Reply):
                    return provider.models
                ids = provider.models or []
                return Reply(200, {"object": "list", "data": [{"id": i, "object": "model"} for i in ids]})
            if method != "POST" or endpoint != "/chat/completions":
                return Reply(404, {"error": {"message": f"unknown endpoint {endpoint}"}})
            responder = provider.responder
            if responder is None:
                if not provider.chat:
                    return Reply(500, {"error": {"message": "no scripted reply"}})
                return provider.chat.pop(0) if len(provider.chat) > 1 else provider.chat[0]
        return responder(body)  # outside the lock: a responder may be slow

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def serve() -> Iterator[FakeOpenAI]:
    """A pytest fixture body: ``yield from serve()``."""
    with FakeOpenAI() as server:
        yield server
