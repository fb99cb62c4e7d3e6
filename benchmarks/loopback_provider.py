"""A fast loopback provider for the gateway benchmark: a raw ASGI app under uvicorn (uvloop,
httptools) answering ``POST /v1/chat/completions`` after a fixed delay, plain or streamed.

    python benchmarks/loopback_provider.py PORT DELAY_MS

The answer is a fixed, realistic chat completion (about 600 bytes); a stream is 20 content
chunks 1 ms apart, a usage chunk and ``[DONE]``. The same server answers the direct calls and
the gateway's, so both sides of every comparison pay for it alike.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import uvicorn

ANSWER = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1764000000,
        "model": "bench-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "A benchmark answer. " * 20},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 100, "total_tokens": 112},
    }
).encode()


def _chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1764000000,
        "model": "bench-model",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(body).encode() + b"\n\n"


FIRST = _chunk({"role": "assistant", "content": ""})
PIECES = [_chunk({"content": f"word{n} "}) for n in range(20)]
LAST = _chunk({}, "stop") + (
    b"data: "
    + json.dumps(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "choices": [],
            "usage": {"prompt_tokens": 12, "completion_tokens": 20, "total_tokens": 32},
        }
    ).encode()
    + b"\n\ndata: [DONE]\n\n"
)


def make_app(delay_s: float) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        stream = b'"stream":true' in body or b'"stream": true' in body
        await asyncio.sleep(delay_s)
        if not stream:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(ANSWER)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": ANSWER})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        await send({"type": "http.response.body", "body": FIRST, "more_body": True})
        for piece in PIECES:
            await asyncio.sleep(0.001)
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": LAST})

    return app


if __name__ == "__main__":
    port, delay_ms = int(sys.argv[1]), float(sys.argv[2])
    uvicorn.run(
        make_app(delay_ms / 1000),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        backlog=2048,
        timeout_keep_alive=60,
    )
