"""Options every command shares, set by the top-level callback."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class GlobalOptions:
    repo: Path | None = None
    db: Path | None = None
    debug: bool = False
