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
        calls = sum(a.outcome in ("answered", "failed") for a in attempts)
        fields: dict[str, Any] = {
            "ts": iso_utc(time.time()),
            "method": method,
            "path": path,
            "workload": workload,
            "answered_by": answered_by,
            "attempts": calls,
            "stream": stream,
            "status": status,
            "ms": round(ms, 1),
        }
        if error is not None:
            fields["error"] = error
        if self.log_prompts and messages is not None:
            fields["messages"] = messages
        if self.json:
            self._write(json.dumps(fields, ensure_ascii=False, separators=(",", ":")))
            return
        words = [fields["ts"], method, path, f"status={status}", f"ms={fields['ms']}"]
        if workload is not None:
            words += [f"workload={workload}", f"answered_by={answered_by or '-'}", f"attempts={calls}"]
        if stream:
            words.append("stream")
        line = " ".join(words)
        if error is not None:
            line += f" error={json.dumps(error, ensure_ascii=False)}"
        if self.log_prompts and messages is not None:
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
