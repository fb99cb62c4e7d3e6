"""``POST /v1/chat/completions`` (and ``/chat/completions``) as a raw ASGI endpoint: the request
path every client call takes, so it reads ASGI messages and sends them itself instead of going
through Starlette's middleware, routing, ``Request`` and ``Response`` layers (a profile of the
gateway under load put a tenth of its CPU there). The answers are the ones Starlette sent, header
for header: the same status, body, ``content-length`` and ``content-type`` (an event stream's with
``; charset=utf-8``), a 500 ``Internal Server Error`` when the gateway itself fails before it
answered, and a stream that stops when the client goes away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from freegin_gitops.core.openai_wire import (
    DONE,
    ChatRequest,
    error_body,
    parse_chat_request,
    stream_error_event,
)
from freegin_gitops.errors import ProviderError, RequestRefused
from freegin_gitops.services.serve.gateway import Routed, Unanswered

if TYPE_CHECKING:
    from freegin_gitops.adapters.openai_async import Stream
    from freegin_gitops.core.usage import UsageRecord
    from freegin_gitops.services.serve.app import GatewayService

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
JSON_TYPE = (b"content-type", b"application/json")
EVENTS_TYPE = (b"content-type", b"text/event-stream; charset=utf-8")
SERVER_ERROR = b"Internal Server Error"
STOPPED = "the gateway stopped before this request was answered"
HEADER_SAFE = "/:@-._~!$&'()*+,;=[]"  # kept as they are in a header value: what model ids use


class ClientGone(Exception):
    """The client disconnected before its request was read: there is no one to answer."""


def _request_headers(scope: Scope) -> tuple[str | None, str]:
    """The request's first ``Content-Length`` (None without one) and ``Authorization`` ("")."""
    length: str | None = None
    authorization: str | None = None
    for name, value in scope["headers"]:
        if name == b"content-length" and length is None:
            length = value.decode("latin-1")
        elif name == b"authorization" and authorization is None:
            authorization = value.decode("latin-1")
    return length, authorization or ""


async def read_body(receive: Receive, declared: str | None, limit: int) -> bytes:
    """The request body, refused (413) past ``limit`` bytes without reading the rest."""
    if declared is not None:
        if not declared.isdigit():
            raise RequestRefused(400, "the Content-Length header is not a number", "invalid_request")
        if int(declared) > limit:
            raise RequestRefused(413, f"the request body is larger than {limit} bytes", "request_too_large")
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise RequestRefused(413, f"the request body is larger than {limit} bytes", "request_too_large")
        if not message.get("more_body", False):
            if not parts:
                return bytes(chunk)
            parts.append(chunk)
            return b"".join(parts)
        parts.append(chunk)


def refusal_headers(exc: RequestRefused) -> Headers:
    headers: Headers = []
    if exc.status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    if exc.retry_after_s is not None:
        headers.append((b"retry-after", str(max(1, round(exc.retry_after_s))).encode()))
    return headers


def _header_value(text: str) -> bytes:
    """``text`` as an ASCII header value: a model id is any text without spaces (a catalog's
    ``^\\S+$``), so what is beyond ASCII is percent-encoded as UTF-8."""
    return quote(text, safe=HEADER_SAFE).encode("ascii")


def answered_headers(routed: Routed[Any]) -> Headers:
    calls = sum(a.outcome in ("answered", "failed") for a in routed.attempts)
    return [
        (b"x-freegin-provider", _header_value(routed.candidate.provider)),
        (b"x-freegin-model", _header_value(routed.candidate.model)),
        (b"x-freegin-workload", _header_value(routed.workload)),
        (b"x-freegin-attempts", str(calls if routed.attempts else 1).encode()),
    ]


async def send_whole(
    send: Send, status: int, body: bytes, headers: Headers, kind: tuple[bytes, bytes]
) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    headers.append(kind)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


class ChatEndpoint:
    """The chat completions endpoint of one :class:`GatewayService`."""

    def __init__(self, service: GatewayService) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        task = asyncio.current_task()
        assert task is not None
        answering = self.service.answering
        answering.add(task)
        try:
            await self._respond(scope, receive, send)
        finally:
            answering.discard(task)

    async def _respond(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        try:
            answer = await self._answer(scope, receive, started)
        except ClientGone:
            return
        except asyncio.CancelledError:
            # The gateway is stopping without waiting for this request (a second Ctrl-C, or the
            # graceful stop's time ran out): the client is told so, not given a bare 500.
            await send_whole(send, 503, error_body(503, STOPPED, "gateway_stopping"), [], JSON_TYPE)
            ms = (time.perf_counter() - started) * 1000
            self.service.log.request("POST", scope["path"], 503, ms, error=STOPPED)
            return
        except Exception:
            # What Starlette's ServerErrorMiddleware did: a plain 500, and the error for the server.
            await send_whole(send, 500, SERVER_ERROR, [], (b"content-type", b"text/plain; charset=utf-8"))
            raise
        if isinstance(answer, tuple):
            status, body, headers, logged, unrecorded = answer
            try:
                await send_whole(send, status, body, headers, JSON_TYPE)
                ms = (time.perf_counter() - started) * 1000
                # Answers come from providers in bursts (a load of many clients at once): let the
                # other answers ready now go out before this one's bookkeeping is done.
                await asyncio.sleep(0)
            finally:
                if unrecorded is not None:
                    gateway = self.service.gateway
                    assert gateway is not None
                    gateway.attempt_ended(unrecorded)
            # Once the answer is on its way: the log line is not on the request's path.
            self.service.log.request("POST", scope["path"], status, ms, **logged)
        else:
            await self._send_stream(scope, receive, send, answer)

    async def _answer(
        self, scope: Scope, receive: Receive, started: float
    ) -> tuple[int, bytes, Headers, dict[str, Any], UsageRecord | None] | _Streaming:
        """The whole answer (status, body, headers, the fields of its log line, and the row of
        its answering attempt when it is left to record once the answer is sent), or a stream
        that has started."""
        service = self.service
        gateway = service.gateway
        assert gateway is not None
        chat: ChatRequest | None = None
        workload: str | None = None
        try:
            declared, authorization = _request_headers(scope)
            service.check_key(authorization)
            chat = parse_chat_request(await read_body(receive, declared, service.settings.max_body_bytes))
            workload = gateway.target(chat).workload
            if service.writer is not None:
                await service.writer.room()
            if chat.stream:
                return _Streaming(chat, await gateway.stream(chat), started)
            routed = await gateway.complete(chat)
        except RequestRefused as exc:
            refused = {
                "workload": workload,
                "attempts": exc.attempts if isinstance(exc, Unanswered) else (),
                "stream": bool(chat and chat.stream),
                "error": str(exc),
                "messages": chat.body.get("messages") if chat else None,
            }
            body = error_body(exc.status, str(exc), exc.code, exc.param)
            return exc.status, body, refusal_headers(exc), refused, None
        answered = {
            "workload": routed.workload,
            "answered_by": f"{routed.candidate.provider}/{routed.candidate.model}",
            "attempts": routed.attempts,
            "messages": chat.body.get("messages"),
        }
        return 200, routed.result.body, answered_headers(routed), answered, routed.unrecorded

    async def _send_stream(self, scope: Scope, receive: Receive, send: Send, streaming: _Streaming) -> None:
        """Pass the stream on event by event; stop (and record it so) when the client goes away."""
        task = asyncio.current_task()
        assert task is not None
        ending = False

        def client_left(listener: asyncio.Future[None]) -> None:
            if not ending and not listener.cancelled() and listener.exception() is None:
                task.cancel()

        listener = asyncio.ensure_future(_disconnected(receive))
        listener.add_done_callback(client_left)
        try:
            await self._events(scope["path"], send, streaming)
            ending = True
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except asyncio.CancelledError:
            if listener.done() and not listener.cancelled():
                if task.uncancel() == 0:
                    return  # the client went away: the stream was recorded and closed
                raise
            # The gateway is stopping without waiting for the stream: it ends with an error
            # event, as a provider's failure would end it (it was recorded as it went so far).
            task.uncancel()
            event = stream_error_event(STOPPED, "gateway_stopping")
            await send({"type": "http.response.body", "body": event, "more_body": False})
        finally:
            ending = True
            listener.cancel()

    async def _events(self, path: str, send: Send, streaming: _Streaming) -> None:
        service = self.service
        gateway = service.gateway
        assert gateway is not None
        routed = streaming.routed
        stream = routed.result
        headers = answered_headers(routed)
        headers += [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no"), EVENTS_TYPE]
        error: ProviderError | None = None
        try:
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": stream.head, "more_body": True})
            async for event in stream.rest():
                await send({"type": "http.response.body", "body": event, "more_body": True})
            if not stream.done:
                await send({"type": "http.response.body", "body": DONE, "more_body": True})
        except ProviderError as exc:
            error = exc
            event = stream_error_event(str(exc), exc.kind)
            await send({"type": "http.response.body", "body": event, "more_body": True})
        finally:
            # Recorded first and without awaiting: this also runs when the client went away
            # and the task is being cancelled.
            attempt = gateway.stream_ended(routed, error)
            chat = streaming.chat
            service.log.request(
                "POST",
                path,
                200,
                (time.perf_counter() - streaming.started) * 1000,
                workload=routed.workload,
                answered_by=f"{routed.candidate.provider}/{routed.candidate.model}",
                attempts=(*routed.attempts, attempt),
                stream=True,
                error=str(error) if error else None,
                messages=chat.body.get("messages"),
            )
            await stream.aclose()


class _Streaming:
    """A streamed request whose provider has started answering."""

    __slots__ = ("chat", "routed", "started")

    def __init__(self, chat: ChatRequest, routed: Routed[Stream], started: float) -> None:
        self.chat = chat
        self.routed = routed
        self.started = started
