"""Options every command shares: the global options of one run."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple


class GlobalOptions(NamedTuple):
    """``--repo``, ``--db`` and ``--debug`` (a NamedTuple: immutable, and cheap to define at start-up)."""

    repo: Path | None = None
    db: str | None = None  # a SQLite file or a postgresql:// URL
    debug: bool = False
