"""The gateway as an ASGI application (Starlette): OpenAI's chat completions and model list, a
health check and a status page, over a :class:`Gateway`.

The app is a plain object: tests drive it in process, ``freegin-ai serve`` runs it under uvicorn.
Its lifespan starts the usage writer, the catalog watcher and the cool-down refresher, and on
shutdown (after uvicorn has let the requests in flight finish) stores every queued usage row.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import signal
import time
from collections.abc import AsyncIterator, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from freegin_gitops.adapters.upstream_http import Upstream, gateway_upstream
from freegin_gitops.core.openai_wire import error_body
from freegin_gitops.errors import FreeginError, RequestRefused
from freegin_gitops.services.serve.catalog_watch import CatalogSource
from freegin_gitops.services.serve.chat_endpoint import CHAT_PATHS, ChatEndpoint, Receive, Scope, Send
from freegin_gitops.services.serve.gateway import CatalogState, Cooldowns, Gateway
from freegin_gitops.services.serve.request_log import RequestLog
from freegin_gitops.services.serve.settings import ServeSettings
from freegin_gitops.services.serve.shared_state import SharedState, follow_cooldowns
from freegin_gitops.services.serve.status import status_document
from freegin_gitops.services.serve.usage_writer import UsageSink, UsageWriter

JSON = "application/json"
END_WAIT_S = 2.0  # how long a stop that does not wait for requests gives them to end


def _json_response(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Response:
    return Response(body, status_code=status, headers=headers, media_type=JSON)


def refused(exc: RequestRefused) -> Response:
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if exc.retry_after_s is not None:
        headers["Retry-After"] = str(max(1, round(exc.retry_after_s)))
    return _json_response(exc.status, error_body(exc.status, str(exc), exc.code, exc.param), headers)


class GatewayService:
    """The running gateway: settings, the catalog source, the gateway, the usage writer."""

    def __init__(
        self,
        settings: ServeSettings,
        source: CatalogSource,
        environ: Mapping[str, str],
        sink: UsageSink | None,
        *,
        log: RequestLog | None = None,
        upstream: Upstream | None = None,
        handle_sighup: bool = False,
        shared_store: bool = False,
    ) -> None:
        """``shared_store``: ``sink`` is a database shared across a network (PostgreSQL)."""
        self.settings = settings
        self.source = source
        self.environ = environ
        self.sink = sink
        self.log = log or RequestLog(settings.log_format, settings.log_prompts)
        self.shared = (
            SharedState(sink, remote=shared_store, report=self.log.event) if sink is not None else None
        )
        self.handle_sighup = handle_sighup
        self.cooldowns: Cooldowns = {}
        self._upstream = upstream
        self.gateway: Gateway | None = None
        self.writer: UsageWriter | None = None
        self.reload_error: str | None = None
        self._failed_signature: object = None
        self._reload_lock: asyncio.Lock | None = None
        self._key = settings.api_key.encode() if settings.api_key else None
        self.started = time.time()
        self.ready = False
        self.banner: str | None = None  # said once the gateway is ready
        self._preloaded: CatalogState | None = None
        # Chat requests being answered: a stop that does not wait for them (a forced one, or
        # one whose time ran out) ends them before the usage queue is stored, so that their
        # attempts are in it.
        self.answering: set[asyncio.Task[None]] = set()

    # -- catalog ---------------------------------------------------------------------------
    def first_state(self) -> CatalogState:
        """Load the catalog before serving (errors propagate: the gateway does not start)."""
        signature = self.source.signature()
        catalog = self.source.load()
        return CatalogState(
            catalog,
            self.environ,
            self.cooldowns,
            source=self.source.describe(catalog),
            signature=signature,
            budgets=self.shared,
        )

    def preload(self) -> None:
        """Load the catalog now, so that a catalog that cannot be served stops the start."""
        self._preloaded = self.first_state()

    async def reload(self, *, force: bool = False) -> bool:
        """Load the catalog again if it moved (or ``force``); True if a new one is in use."""
        assert self.gateway is not None and self._reload_lock is not None
        async with self._reload_lock:
            current = self.gateway.state
            try:
                signature = await asyncio.to_thread(self.source.signature)
                if not force and signature == current.signature:
                    return False
                if not force and signature == self._failed_signature:
                    return False
                catalog = await asyncio.to_thread(self.source.load)
            except FreeginError as exc:
                self._failed_signature = locals().get("signature")
                self.reload_error = str(exc)
                self.log.event("reload failed; still serving " + current.source, reason=json.dumps(str(exc)))
                return False
            self._failed_signature = None
            self.reload_error = None
            if catalog.content_sha256 == current.catalog.content_sha256 and (
                catalog.pinned_commit == current.catalog.pinned_commit
            ):
                current.signature = signature
                return False
            state = CatalogState(
                catalog,
                self.environ,
                self.cooldowns,
                source=self.source.describe(catalog),
                signature=signature,
                budgets=self.shared,
            )
            self.gateway.state = state
            self.log.event("reloaded " + state.source)
            return True

    async def _watch(self) -> None:
        interval = self.settings.reload_interval_s
        while True:
            await asyncio.sleep(interval)
            await self.reload()

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        self._reload_lock = asyncio.Lock()
        upstream = self._upstream or gateway_upstream(self.environ)
        if self.sink is not None:
            assert self.shared is not None
            self.writer = UsageWriter(
                self.sink,
                limit=self.settings.queue_limit,
                report=self.log.event,
                health=self.shared.health,
                listener=self.shared,
            )
            self.writer.start()
        if self.gateway is None:
            state = self._preloaded
            if state is None:
                state = await asyncio.to_thread(self.first_state)
            self.gateway = Gateway(state, upstream, self.writer, shared=self.shared)
        else:
            self.gateway.upstream, self.gateway.writer = upstream, self.writer
            self.gateway.shared = self.shared
        tasks = []
        if self.settings.reload_interval_s > 0:
            tasks.append(asyncio.create_task(self._watch(), name="freegin-catalog-watch"))
        if self.sink is not None:
            assert self.shared is not None
            follow = follow_cooldowns(self.sink, self.cooldowns, self.shared.health)
            tasks.append(asyncio.create_task(follow, name="freegin-cooldowns"))
        loop = asyncio.get_running_loop()
        if self.handle_sighup:
            loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload(force=True)))
        self.ready = True
        if self.banner:
            self.log.event(self.banner, catalog=self.gateway.state.source)
        try:
            yield
        finally:
            self.ready = False
            if self.handle_sighup:
                loop.remove_signal_handler(signal.SIGHUP)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self._end_answering()
            if self.writer is not None:
                await self.writer.close()
                self.log.event("usage stored", rows=self.writer.written, lost=self.writer.lost)
            if self._upstream is None:
                await upstream.aclose()

    async def _end_answering(self) -> None:
        """Cancel the chat requests still being answered and give them :data:`END_WAIT_S` to
        say so (a 503, or a stream's error event) and queue their attempts."""
        left = [task for task in self.answering if not task.done()]
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left, timeout=END_WAIT_S)

    # -- requests --------------------------------------------------------------------------
    def check_key(self, authorization: str) -> None:
        """Refuse (401) a request whose ``Authorization`` header does not carry the gateway's key."""
        if self._key is None:
            return
        scheme, _, token = authorization.partition(" ")
        given = token.strip().encode() if scheme.lower() == "bearer" else b""
        if not hmac.compare_digest(given, self._key):
            raise RequestRefused(
                401, "a valid API key is required: send 'Authorization: Bearer <key>'", "invalid_api_key"
            )

    def authorize(self, request: Request) -> None:
        self.check_key(request.headers.get("authorization", ""))

    async def models(self, request: Request) -> Response:
        started = time.perf_counter()
        assert self.gateway is not None
        try:
            self.authorize(request)
        except RequestRefused as exc:
            self.log.request("GET", request.url.path, exc.status, (time.perf_counter() - started) * 1000)
            return refused(exc)
        response = _json_response(200, self.gateway.state.models())
        self.log.request("GET", request.url.path, 200, (time.perf_counter() - started) * 1000)
        return response

    async def healthz(self, request: Request) -> Response:
        if not self.ready or self.gateway is None:
            return _json_response(503, b'{"status":"starting"}')
        state = self.gateway.state
        body = {"status": "ok", "catalog": state.catalog.content_sha256}
        return _json_response(200, json.dumps(body).encode())

    async def status(self, request: Request) -> Response:
        started = time.perf_counter()
        assert self.gateway is not None
        try:
            self.authorize(request)
        except RequestRefused as exc:
            self.log.request("GET", request.url.path, exc.status, (time.perf_counter() - started) * 1000)
            return refused(exc)
        document = status_document(self, time.time())
        self.log.request("GET", request.url.path, 200, (time.perf_counter() - started) * 1000)
        return _json_response(200, json.dumps(document, ensure_ascii=False, indent=2).encode())


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    elif exc.status_code == 404:
        message = f"there is no {request.url.path} here (try /v1/chat/completions, /v1/models, /healthz)"
    else:
        message = str(exc.detail)
    return _json_response(
        exc.status_code, error_body(exc.status_code, message, "not_found" if exc.status_code == 404 else None)
    )


class GatewayApp:
    """The gateway's ASGI app: chat completions on the raw endpoint
    (:class:`~freegin_gitops.services.serve.chat_endpoint.ChatEndpoint`), everything else
    (the lifespan, the other routes, 404s and 405s) through Starlette."""

    def __init__(self, service: GatewayService) -> None:
        self.service = service
        self.chat = ChatEndpoint(service)
        routes = [
            Route("/v1/chat/completions", self.chat, methods=["POST"]),  # the 405 for other methods
            Route("/chat/completions", self.chat, methods=["POST"]),  # clients given a base URL without /v1
            Route("/v1/models", service.models, methods=["GET"]),
            Route("/models", service.models, methods=["GET"]),
            Route("/healthz", service.healthz, methods=["GET"]),
            Route("/v1/freegin/status", service.status, methods=["GET"]),
        ]
        self.starlette = Starlette(
            routes=routes, lifespan=service.lifespan, exception_handlers={HTTPException: _http_error}
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and scope["path"] in CHAT_PATHS:
            await self.chat(scope, receive, send)
        else:
            await self.starlette(scope, receive, send)


def build_app(service: GatewayService) -> GatewayApp:
    """The ASGI app over ``service``."""
    return GatewayApp(service)
