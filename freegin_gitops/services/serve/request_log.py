"""One line per request on stderr: method, path, workload, who answered, calls made, status and
milliseconds; as text for people or JSON for log shippers. Prompts only when asked for."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from freegin_gitops.core.route_attempts import Attempt
from freegin_gitops.core.usage import iso_utc


class RequestLog:
    """Writes request lines (and the gateway's own events) in one format."""

    def __init__(
        self, log_format: str = "text", log_prompts: bool = False, out: TextIO | None = None
    ) -> None:
        self.json = log_format == "json"
        self.log_prompts = log_prompts
        self.out = out

    def _write(self, line: str) -> None:
        out = self.out or sys.stderr
        try:
            out.write(line + "\n")
            out.flush()
        except (OSError, ValueError):
            pass  # a closed stderr must not fail a request

    def request(
        self,
        method: str,
        path: str,
        status: int,
        ms: float,
        *,
        workload: str | None = None,
        answered_by: str | None = None,
        attempts: Sequence[Attempt] = (),
        stream: bool = False,
        error: str | None = None,
        messages: Any = None,
    ) -> None:
        calls = 0
        for attempt in attempts:
            if attempt.outcome in ("answered", "failed"):
                calls += 1
        ts = iso_utc(time.time())
        rounded = round(ms, 1)
        prompts = self.log_prompts and messages is not None
        if self.json:
            fields: dict[str, Any] = {
                "ts": ts,
                "method": method,
                "path": path,
                "workload": workload,
                "answered_by": answered_by,
                "attempts": calls,
                "stream": stream,
                "status": status,
                "ms": rounded,
            }
            if error is not None:
                fields["error"] = error
            if prompts:
                fields["messages"] = messages
            self._write(json.dumps(fields, ensure_ascii=False, separators=(",", ":")))
            return
        line = f"{ts} {method} {path} status={status} ms={rounded}"
        if workload is not None:
            line += f" workload={workload} answered_by={answered_by or '-'} attempts={calls}"
        if stream:
            line += " stream"
        if error is not None:
            line += f" error={json.dumps(error, ensure_ascii=False)}"
        if prompts:
            line += f" messages={json.dumps(messages, ensure_ascii=False)}"
        self._write(line)

    def event(self, message: str, **fields: Any) -> None:
        """A line about the gateway itself (start, reload, stop)."""
        if self.json:
            now = iso_utc(time.time())
            self._write(json.dumps({"ts": now, "event": message, **fields}, ensure_ascii=False))
        else:
            extra = "".join(f" {k}={v}" for k, v in fields.items())
            self._write(f"freegin-ai serve: {message}{extra}")
