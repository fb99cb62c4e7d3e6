"""A catalog problem: where it is and what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

JsonPath = tuple[str | int, ...]


def format_path(path: Sequence[str | int]) -> str:
    """Render a JSON path as ``$.models[0].id``."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif part.isidentifier() or part.replace("-", "_").isidentifier():
            out.append(f".{part}")
        else:
            out.append(f"[{part!r}]")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in one catalog file.

    ``line`` and ``col`` are 1-based, or 0 for a file that was not read at all (a refused link,
    a FIFO, a folder that cannot be listed), which has no position; ``path`` is the JSON path of
    the offending value (empty for problems with the file as a whole, such as a YAML syntax error).
    """

    file: str
    line: int
    col: int
    message: str
    path: JsonPath = ()

    @property
    def json_path(self) -> str:
        return format_path(self.path)

    @property
    def positioned(self) -> bool:
        return self.line > 0

    def render(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}" if self.positioned else self.file
        if self.path:
            return f"{where}: {self.json_path}: {self.message}"
        return f"{where}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.file, self.line, self.col, self.message)


@dataclass(frozen=True, slots=True)
class PendingProblem:
    """A problem found in parsed data, before its line and column are known.

    ``key`` names a mapping key under ``path`` when the problem is the key itself (an unknown or
    duplicate key): the position is then the key's, not the value's.
    """

    file: str
    path: JsonPath
    message: str
    key: str | None = None
