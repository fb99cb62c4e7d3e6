"""Options every command shares, set by the top-level callback."""

from __future__ import annotations

from pathlib import Path


class GlobalOptions:
    """Set once per run by the top-level callback (a plain class: cheap to define at start-up)."""

    def __init__(self, repo: Path | None = None, db: Path | None = None, debug: bool = False) -> None:
        self.repo = repo
        self.db = db
        self.debug = debug
