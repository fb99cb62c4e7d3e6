"""OpenAI's HTTP API as the gateway speaks it: the request fields it reads, which catalog
candidates a ``model`` names, the model listing, error bodies, and server-sent events.

Pure: bytes and plain data in, bytes and plain data out. The client's request is passed to the
provider as it came (``temperature``, ``tools``, ``response_format``, ...), with only ``model``
replaced, so the gateway never has to know every field of the API.

JSON on the request path is read and written by orjson (several times faster than the standard
library); what orjson reads differently or not at all (integers beyond 64 bits, which it turns
into floats; NaN and Infinity; a byte-order mark; lone surrogates) is read by the standard
library, and such a request is written by it too, so every request reaches the provider with
the values the standard library would give it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

import orjson

from freegin_gitops.core.compiled_catalog import CompiledCatalog
from freegin_gitops.errors import RequestRefused

DONE = b"data: [DONE]\n\n"

# The error "type" OpenAI sends with each status; clients show it, the SDKs map the status.
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "invalid_request_error",
    405: "invalid_request_error",
    413: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    502: "upstream_error",
    503: "upstream_error",
}


def error_body(status: int, message: str, code: str | None = None, param: str | None = None) -> bytes:
    """An error in OpenAI's shape: ``{"error": {"message", "type", "param", "code"}}``."""
    error = {
        "message": message,
        "type": _ERROR_TYPES.get(status, "server_error"),
        "param": param,
        "code": code,
    }
    return json.dumps({"error": error}, ensure_ascii=False).encode()


# 19 digits in a row may be an integer beyond 64 bits, which orjson would read as a float.
_LONG_DIGITS = re.compile(rb"[0-9]{19}")


def load_json(raw: bytes) -> tuple[Any, bool]:
    """The JSON value in ``raw`` as the standard library reads it, and whether orjson read it
    (False: the standard library did). ValueError or RecursionError when it is not JSON."""
    if _LONG_DIGITS.search(raw) is None:
        try:
            return orjson.loads(raw), True
        except orjson.JSONDecodeError:
            pass  # perhaps JSON orjson refuses (NaN, a byte-order mark): the standard library says
    return json.loads(raw), False


class ChatRequest(NamedTuple):
    """A client's chat completion request: its JSON object and the fields the gateway acts on;
    ``orjson``: orjson read it, so it can write it too (else the standard library does)."""

    body: dict[str, Any]
    model: str
    stream: bool
    orjson: bool = False


def parse_chat_request(raw: bytes) -> ChatRequest:
    """The request in ``raw``, or :class:`RequestRefused` (400) saying what is wrong with it."""
    try:
        body, fast = load_json(raw)
    except (ValueError, RecursionError):
        raise RequestRefused(400, "the request body is not valid JSON", "invalid_json") from None
    if not isinstance(body, dict):
        raise RequestRefused(400, "the request body must be a JSON object", "invalid_request")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise RequestRefused(
            400,
            "'model' is required: a workload (such as 'chat') or PROVIDER/MODEL",
            "missing_field",
            "model",
        )
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestRefused(400, "'messages' is required: a non-empty array", "missing_field", "messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise RequestRefused(
                400,
                f"messages[{index}] must be an object with a 'role'",
                "invalid_value",
                f"messages[{index}]",
            )
    stream = body.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise RequestRefused(400, "'stream' must be true or false", "invalid_value", "stream")
    return ChatRequest(body, model, stream, fast)


def upstream_body(request: ChatRequest, model: str) -> bytes:
    """The JSON a provider is sent: the client's request with ``model`` set to the provider's id."""
    body = {**request.body, "model": model}
    if request.orjson:
        return orjson.dumps(body)
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a lone surrogate the client escaped: passed on escaped
        return json.dumps(body, separators=(",", ":")).encode()


class Target(NamedTuple):
    """What a request's ``model`` names: a workload's candidates, or one candidate in it."""

    workload: str
    provider: str | None = None
    model: str | None = None


def _catalog_models(catalog: CompiledCatalog) -> Iterator[tuple[str, str, str]]:
    """(workload, provider, model) of every candidate the catalog holds, in routing order."""
    for workload in catalog.workload_names():
        lists = catalog.candidates(workload)
        if lists is None:
            continue
        seen: set[tuple[str, str]] = set()
        for candidate in (*lists.active, *lists.deprecated, *lists.pending, *lists.defaults):
            key = (candidate.provider, candidate.model)
            if key not in seen:
                seen.add(key)
                yield workload, candidate.provider, candidate.model


def resolve_target(catalog: CompiledCatalog, name: str) -> Target:
    """The workload ``name`` is, or the catalog candidate ``PROVIDER/MODEL`` it names (under the
    first of its workloads, alphabetically); :class:`RequestRefused` (404) listing the workloads
    otherwise. A model outside the catalog is refused: the gateway relays only reviewed models."""
    if catalog.candidates(name) is not None:
        return Target(name)
    provider, slash, model = name.partition("/")
    if slash and catalog.provider(provider) is not None:
        for workload, p, m in _catalog_models(catalog):
            if p == provider and m == model:
                return Target(workload, provider, model)
    workloads = ", ".join(catalog.workload_names())
    raise RequestRefused(
        404,
        f"the model {name!r} does not exist here: use a workload ({workloads}) or PROVIDER/MODEL "
        "of a catalog model (GET /v1/models lists them)",
        "model_not_found",
        "model",
    )


def models_listing(catalog: CompiledCatalog) -> dict[str, Any]:
    """``GET /v1/models``: the workloads first, then every catalog model as PROVIDER/MODEL."""
    data: list[dict[str, Any]] = [
        {"id": w, "object": "model", "created": 0, "owned_by": "freegin-ai"} for w in catalog.workload_names()
    ]
    listed: set[str] = set()
    for _workload, provider, model in _catalog_models(catalog):
        ident = f"{provider}/{model}"
        if ident not in listed:
            listed.add(ident)
            data.append({"id": ident, "object": "model", "created": 0, "owned_by": provider})
    return {"object": "list", "data": data}


# -- server-sent events ------------------------------------------------------------------------


class EventTooLarge(ValueError):
    """One server-sent event grew past the limit without ending."""


class EventSplitter:
    """Cuts a byte stream into server-sent events (each ends with a blank line), keeping at most
    ``limit`` bytes of an unfinished one. Line ends may be LF or CRLF."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._pending = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        """The events completed by ``chunk``, each without its blank line and with LF line ends."""
        data = self._pending + chunk
        if b"\r" in data:
            if data.endswith(b"\r"):  # a CRLF cut in two: wait for its LF
                data, self._pending = data[:-1], b"\r"
            else:
                self._pending = b""
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        else:
            self._pending = b""
        parts = data.split(b"\n\n")
        tail = parts.pop()
        if len(tail) > self.limit:
            raise EventTooLarge(f"a server-sent event is larger than {self.limit} bytes")
        self._pending = tail + self._pending
        return [part for part in parts if part]

    @property
    def leftover(self) -> bytes:
        """What the stream ended with that was not a complete event."""
        return self._pending.strip(b"\r\n")


def event_data(event: bytes) -> bytes | None:
    """The ``data`` of an event (its data lines joined by LF), or None if it has none (a comment
    or a bare ``event:`` line)."""
    lines = [line for line in event.split(b"\n") if line.startswith(b"data:")]
    if not lines:
        return None
    values = [line[6:] if line.startswith(b"data: ") else line[5:] for line in lines]
    return b"\n".join(values)


def data_event(data: bytes) -> bytes:
    """One event carrying ``data`` (a single line of JSON)."""
    return b"data: " + data + b"\n\n"


def stream_error_event(message: str, code: str) -> bytes:
    """The event that ends a stream which failed after it started (the OpenAI SDKs raise on it)."""
    error = {"message": message, "type": "upstream_error", "param": None, "code": code}
    return data_event(json.dumps({"error": error}, ensure_ascii=False).encode())


class ChunkFacts(NamedTuple):
    """What a stream chunk tells the gateway: an in-band error, token counts."""

    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


def _count(usage: dict[str, Any], key: str) -> int | None:
    value = usage.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def chunk_facts(data: bytes) -> ChunkFacts | None:
    """Facts of one chunk's data, or None when it carries neither an error nor usage (most
    chunks: they are only searched for the two words, not parsed)."""
    if b'"error"' not in data and b'"usage"' not in data:
        return None
    try:
        chunk, _ = load_json(data)
    except (ValueError, RecursionError):
        return None
    if not isinstance(chunk, dict):
        return None
    error = chunk.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        return ChunkFacts(error=str(message or error))
    usage = chunk.get("usage")
    if not isinstance(usage, dict):
        return None
    return ChunkFacts(
        None,
        _count(usage, "prompt_tokens"),
        _count(usage, "completion_tokens"),
        _count(usage, "total_tokens"),
    )
