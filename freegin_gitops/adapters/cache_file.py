"""Files in the user cache directory: written atomically but without fsync (a write lost in a
crash only costs a recomputation), and read back only when their checksum still matches, so a
truncated, damaged or foreign file is a miss, never trusted."""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

MAGIC = b"freegin-cache/1 "


def _header(payload: bytes, label: bytes) -> bytes:
    digest = hashlib.sha256(payload)
    digest.update(b"\0" + label)
    return MAGIC + digest.hexdigest().encode() + b" %d\n" % len(payload)


def write(path: Path, payload: bytes, label: bytes = b"") -> bool:
    """Store ``payload`` at ``path``; False (and nothing left behind) if it cannot be written.
    ``label`` (what the payload was made from) goes into the checksum: :func:`read` with another
    label is a miss."""
    import tempfile  # not at import time: commands answered from the cache only read

    header = _header(payload, label)
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


def read(path: Path, label: bytes = b"") -> bytes | None:
    """The payload stored at ``path`` with ``label``, or None when there is none or it does not
    check out."""
    try:
        with path.open("rb") as handle:
            header = handle.readline(200)
            payload = handle.read()
    except OSError:
        return None
    if not header.startswith(MAGIC) or not header.endswith(b"\n"):
        return None
    if header != _header(payload, label):
        return None
    return payload


def remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
