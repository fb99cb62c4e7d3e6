"""The content hash that identifies a catalog's input files."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def content_sha256(files: Mapping[str, bytes]) -> str:
    """A hash of the catalog's content: every path and its bytes, in path order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        data = files[path]
        digest.update(path.encode("utf-8") + b"\0" + len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()
