"""Running the gateway under uvicorn: bind the socket (so a busy port is one clear error and
``--port 0`` reports the port it got), serve until SIGTERM or SIGINT, then let uvicorn finish the
requests in flight and the app's lifespan store the usage queued.

uvicorn re-raises a caught SIGTERM once it has shut down, so that the process dies "of" the
signal; the gateway instead exits 0 after a clean stop, which is what service managers expect of
a graceful shutdown, so the server's signal capture is replaced by one that only records them.

A second Ctrl-C forces the stop: uvicorn then stops waiting for the requests in flight and also
skips the app's lifespan shutdown, which is where the gateway ends those requests (a 503, or a
stream's error event) and stores the usage rows it has queued. The gateway still runs it: a forced
stop cuts requests short, but keeps the rows of the attempts already made.
"""

from __future__ import annotations

import contextlib
import signal
import socket
from collections.abc import Iterator

import uvicorn
from uvicorn.lifespan.on import LifespanOn

from freegin_gitops.errors import FreeginError
from freegin_gitops.services.serve.app import GatewayService, build_app
from freegin_gitops.services.serve.http_protocol import OneWriteHttpToolsProtocol


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        handled = (signal.SIGINT, signal.SIGTERM)
        original = {sig: signal.signal(sig, self.handle_exit) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        lifespan = self.lifespan
        if isinstance(lifespan, LifespanOn) and not lifespan.shutdown_event.is_set():
            await lifespan.shutdown()  # skipped by a forced stop: it stores the usage queued


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``, or one sentence saying why there is none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise FreeginError(f"--host {host}: not an address of this machine ({exc.strerror})") from exc
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise FreeginError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.setblocking(False)
    return sock


def serve(service: GatewayService, sock: socket.socket) -> None:
    """Serve ``service`` on ``sock`` until stopped."""
    config = uvicorn.Config(
        build_app(service),
        lifespan="on",
        http=OneWriteHttpToolsProtocol,  # uvicorn's httptools protocol, a response's head sent with its body
        access_log=False,  # one line per request comes from the gateway itself
        proxy_headers=False,  # nothing reads the client's address: no middleware for it
        log_level="warning",
        server_header=False,
        timeout_graceful_shutdown=max(1, round(service.settings.shutdown_timeout_s)),
        timeout_keep_alive=30,
    )
    _Server(config).run(sockets=[sock])
