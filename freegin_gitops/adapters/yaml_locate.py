"""Where a JSON path is in a catalog file: one pass over libyaml's events for every path asked
for at once, without building the file's node tree (a 50 MB file with problems is located in the
memory the values take, not 25 times more)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from freegin_gitops.adapters.yaml_read import Parser, mark_position


@dataclass(frozen=True, slots=True)
class Position:
    line: int
    col: int


class _Wanted:
    """One node of the tree of JSON paths asked for, and what the pass found for it."""

    __slots__ = ("children", "is_mapping", "key_marks", "keys", "mark")

    def __init__(self) -> None:
        self.children: dict[str | int, _Wanted] = {}
        self.keys: set[str] = set()
        self.key_marks: dict[str, Position] = {}
        self.mark: Position | None = None
        self.is_mapping = False


def _find(source: str | bytes, root: _Wanted) -> None:
    """One pass over ``source``'s events, noting where each wanted node and key starts."""
    parser = Parser(source)
    # Per open collection: [wanted node or None, is a mapping, next index / key, expects a key,
    # is itself a mapping key]
    stack: list[list[Any]] = []
    scalar_event, mapping_start, sequence_start = (
        yaml.ScalarEvent,
        yaml.MappingStartEvent,
        yaml.SequenceStartEvent,
    )
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    try:
        while parser.check_event():
            event: Any = parser.get_event()
            kind = type(event)
            if kind in ends:
                done = stack.pop()
                if stack and not done[4]:
                    _advance(stack[-1])
                continue
            if kind is not scalar_event and kind is not mapping_start and kind is not sequence_start:
                if kind is yaml.AliasEvent and stack:
                    _advance(stack[-1])
                continue
            top = stack[-1] if stack else None
            if top is not None and top[1] and top[3]:  # a mapping key
                if kind is scalar_event:
                    wanted = top[0]
                    if wanted is not None and event.value in wanted.keys:
                        wanted.key_marks.setdefault(event.value, Position(*mark_position(event.start_mark)))
                    top[2], top[3] = event.value, False
                else:  # a collection as a key: nothing under it is wanted; its value follows
                    top[2], top[3] = None, False
                    stack.append([None, kind is mapping_start, 0, kind is mapping_start, True])
                continue
            node = root if top is None else (top[0].children.get(top[2]) if top[0] is not None else None)
            if node is not None and node.mark is None:
                node.mark = Position(*mark_position(event.start_mark))
                node.is_mapping = kind is mapping_start
            if kind is scalar_event:
                if top is not None:
                    _advance(top)
            else:
                stack.append([node, kind is mapping_start, 0, kind is mapping_start, False])
    finally:
        parser.dispose()


def _advance(frame: list[Any]) -> None:
    """The collection ``frame`` got one more value."""
    if frame[1]:
        frame[3] = True
    else:
        frame[2] += 1


class Locator:
    """Finds where JSON paths are in one file's text (or bytes), in one pass over its events for
    all the paths asked for at once, without building the file's node tree."""

    def __init__(self, source: str | bytes) -> None:
        self._source = source

    def locate_all(self, requests: Sequence[tuple[Sequence[str | int], str | None]]) -> list[Position]:
        """Where each ``(path, key)`` starts; see :meth:`locate`."""
        root = _Wanted()
        for path, key in requests:
            node = root
            if key is not None:
                node.keys.add(key)
            for part in path:
                node = node.children.setdefault(part, _Wanted())
                if key is not None:
                    node.keys.add(key)
        try:
            _find(self._source, root)
        except yaml.YAMLError:
            return [Position(1, 1) for _ in requests]
        return [_resolve(root, path, key) for path, key in requests]

    def locate(self, path: Sequence[str | int], key: str | None = None) -> Position:
        """Where the value at ``path`` starts (with ``key``: that key of the mapping at ``path``).

        Falls back to the nearest existing ancestor when the path does not exist.
        """
        return self.locate_all([(path, key)])[0]


def _resolve(root: _Wanted, path: Sequence[str | int], key: str | None) -> Position:
    mark = root.mark
    if mark is None:  # an empty file
        return Position(1, 1)
    node = root
    for part in path:
        child = node.children.get(part)
        if child is None or child.mark is None:
            break
        node, mark = child, child.mark
    if key is not None and node.is_mapping and key in node.key_marks:
        return node.key_marks[key]
    return mark
