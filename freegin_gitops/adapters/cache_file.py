"""Files in the user cache directory: written atomically but without fsync (a write lost in a
crash only costs a recomputation), and read back only when their checksum still matches, so a
truncated, damaged or foreign file is a miss, never trusted."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

MAGIC = b"freegin-cache/1 "


def write(path: Path, payload: bytes) -> bool:
    """Store ``payload`` at ``path``; False (and nothing left behind) if it cannot be written."""
    import tempfile  # not at import time: commands answered from the cache only read

    header = MAGIC + hashlib.sha256(payload).hexdigest().encode() + b" %d\n" % len(payload)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(header)
            handle.write(payload)
        Path(name).replace(path)
    except OSError:
        with contextlib.suppress(OSError):
            Path(name).unlink()
        return False
    return True


def read(path: Path) -> bytes | None:
    """The payload stored at ``path``, or None when there is none or it does not check out."""
    try:
        with path.open("rb") as handle:
            header = handle.readline(200)
            payload = handle.read()
    except OSError:
        return None
    if not header.startswith(MAGIC) or not header.endswith(b"\n"):
        return None
    fields = header[len(MAGIC) : -1].split(b" ")
    if len(fields) != 2 or fields[1] != b"%d" % len(payload):
        return None
    if hashlib.sha256(payload).hexdigest().encode() != fields[0]:
        return None
    return payload


def remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
