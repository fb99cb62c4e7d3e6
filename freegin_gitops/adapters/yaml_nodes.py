"""Surgical changes to ruamel.yaml round-trip nodes that keep people's comments where they were.

ruamel attaches the lines that follow an entry (blank lines, and the comment that introduces the
next entry) to the last scalar of that entry. Appending a key or a list item naively would put the
new lines *after* that comment, and deleting the last key would delete the comment with it. Each
helper here therefore moves that "tail" to whatever becomes the entry's new end, so a comment stays
above the entry it describes and an inline comment stays on its own line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken

from freegin_gitops.adapters.yaml_edit import like, plain_value

Container = CommentedMap | CommentedSeq


def new_map(pairs: Mapping[str, Any] | Iterable[tuple[str, Any]], flow: bool = False) -> CommentedMap:
    """A mapping for a new entry, block style unless ``flow``."""
    node = CommentedMap(pairs.items() if isinstance(pairs, Mapping) else pairs)
    if flow:
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()
    return node


def new_seq(items: Iterable[Any], flow: bool = True) -> CommentedSeq:
    """A list for a new entry, ``[a, b]`` (flow) style unless told otherwise."""
    node = CommentedSeq(items)
    if flow:
        node.fa.set_flow_style()
    else:
        node.fa.set_block_style()
    return node


def copy_node(value: Any) -> Any:
    """A comment-free copy of ``value`` that keeps flow or block style and scalar styles."""
    if isinstance(value, CommentedMap):
        flow = bool(value.fa.flow_style())
        return new_map(((k, copy_node(v)) for k, v in value.items()), flow=flow)
    if isinstance(value, CommentedSeq):
        return new_seq((copy_node(v) for v in value), flow=bool(value.fa.flow_style()))
    return value


def _block(value: Any) -> bool:
    collection = isinstance(value, CommentedMap | CommentedSeq)
    return collection and len(value) > 0 and not value.fa.flow_style()


def _last(node: Container) -> Any:
    return next(reversed(node)) if isinstance(node, CommentedMap) else len(node) - 1


def _end_path(container: Container, key: Any) -> list[tuple[Container, Any]]:
    """(container, key) pairs from the entry down to the scalar or flow node it ends with."""
    path: list[tuple[Container, Any]] = [(container, key)]
    value = container[key]
    while _block(value):
        last = _last(value)
        path.append((value, last))
        value = value[last]
    return path


def _get_slot(container: Container, key: Any) -> CommentToken | None:
    value = container[key]
    if isinstance(value, CommentedMap | CommentedSeq) and value.fa.flow_style():
        comment = value.ca.comment
        return comment[0] if comment else None
    entry = container.ca.items.get(key)
    pos = 2 if isinstance(container, CommentedMap) else 0
    token: CommentToken | None = entry[pos] if entry and len(entry) > pos else None
    return token


def _set_slot(container: Container, key: Any, token: CommentToken | None) -> None:
    value = container[key]
    if isinstance(value, CommentedMap | CommentedSeq) and value.fa.flow_style():
        if value.ca.comment:
            value.ca.comment[0] = token
        elif token is not None:
            value.ca.comment = [token, None]
    pos = 2 if isinstance(container, CommentedMap) else 0
    entry = container.ca.items.get(key)
    if entry is None:
        if token is None:
            return
        entry = container.ca.items[key] = [None, None, None, None]
    entry[pos] = token


def detach_tail(container: Container, key: Any) -> str:
    """Remove and return the whole lines that follow the entry ``container[key]`` (blank lines and
    comments up to the next entry); an inline comment on the entry's last line stays."""
    path = _end_path(container, key)
    deep, last = path[-1]
    tail = ""
    token = _get_slot(deep, last)
    if token is not None:
        head, newline, rest = token.value.partition("\n")
        tail = rest
        if head.strip():
            token.value = head + newline
        else:
            _set_slot(deep, last, None)
    for node, _ in reversed(path[1:]):
        for end in node.ca.end or ():
            text = end.value
            tail += text if text.startswith("\n") else " " * end.start_mark.column + text
        node.ca.end = []
    return tail


def attach_tail(container: Container, key: Any, tail: str) -> None:
    """Put ``tail`` (whole lines) right after the entry ``container[key]``."""
    if not tail:
        return
    tail = detach_tail(container, key) + tail
    deep, last = _end_path(container, key)[-1]
    token = _get_slot(deep, last)
    if token is not None:
        token.value = token.value + tail
    else:
        _set_slot(deep, last, CommentToken("\n" + tail, CommentMark(0), None))


def _same(old: Any, new: Any) -> bool:
    old = plain_value(old)
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool) and old == new
    if isinstance(old, str) != isinstance(new, str):
        return False
    if isinstance(old, Mapping) != isinstance(new, Mapping):
        return False
    return bool(old == new)


def set_key(mapping: CommentedMap, key: str, value: Any, after: str | None = None) -> bool:
    """Set ``mapping[key]``; a string keeps the quoting of the one it replaces. A new key goes
    right after ``after`` (when present) or last. True if anything changed."""
    if key in mapping:
        old = mapping[key]
        if _same(old, value):
            return False
        if isinstance(old, str) and isinstance(value, str):
            value = like(old, value)
        if _block(old) or _block(value):
            tail = detach_tail(mapping, key)
            mapping[key] = value
            attach_tail(mapping, key, tail)
        else:
            mapping[key] = value
        return True
    keys = list(mapping)
    position = keys.index(after) + 1 if after in keys else len(keys)
    tail = detach_tail(mapping, keys[position - 1]) if position > 0 else ""
    mapping.insert(position, key, value)
    attach_tail(mapping, key, tail)
    return True


def delete_key(mapping: CommentedMap, key: str) -> bool:
    """Remove ``key``; the lines after it stay, after the entry before it. True if it was there."""
    if key not in mapping:
        return False
    keys = list(mapping)
    index = keys.index(key)
    tail = detach_tail(mapping, key)
    del mapping[key]
    mapping.ca.items.pop(key, None)
    if len(mapping):
        # The first key has no entry before it; its lines stay next to the new first one.
        attach_tail(mapping, keys[index - 1] if index > 0 else next(iter(mapping)), tail)
    return True


def append_item(parent: Container, key: Any, item: Any) -> None:
    """Append ``item`` to the list ``parent[key]``, after its last item and before the lines that
    follow the list. An empty list becomes a block list (unless it is ``[...]`` and ``item`` a
    scalar): the comment after its brackets stays on the key's line, the lines after it follow the
    new item. ``parent`` is needed because ruamel writes a list's comments from its parent's entry."""
    seq = parent[key]
    if seq:
        tail = detach_tail(seq, len(seq) - 1)
        seq.append(item)
        attach_tail(seq, len(seq) - 1, tail)
    elif seq.fa.flow_style() and not _block(item):
        seq.append(item)
    else:
        tail = detach_tail(parent, key)
        seq.fa.set_block_style()
        seq.append(item)
        attach_tail(parent, key, tail)


def _before_first(parent: Container, key: Any, text: str) -> None:
    """Put whole lines ``text`` between the key of the list ``parent[key]`` and its first item.

    ruamel writes these lines from the parent mapping's entry for the key when it has one (it
    replaces the list's own), so both hold the same list of lines."""
    seq = parent[key]
    entry = parent.ca.items.get(key) if isinstance(parent, CommentedMap) else None
    lines = (entry[3] if entry else None) or (seq.ca.comment[1] if seq.ca.comment else None) or []
    lines.append(CommentToken(text, CommentMark(0), None))
    if seq.ca.comment:
        seq.ca.comment[1] = lines
    else:
        seq.ca.comment = [None, lines]
    if entry:
        entry[3] = lines


def delete_item(parent: Container, key: Any, index: int) -> None:
    """Remove item ``index`` of the list ``parent[key]``; the lines after it stay, after the item
    before it (above the new first item when it was the first, after ``[]`` on the key's line
    when it was the only one)."""
    seq = parent[key]
    tail = detach_tail(seq, index)
    del seq[index]
    if not seq:
        seq.fa.set_flow_style()  # ruamel writes a comment after an empty block list before it
        attach_tail(parent, key, tail)
    elif not tail:
        return
    elif index > 0:
        attach_tail(seq, index - 1, tail)
    else:  # a block list: an item of a flow list holds no whole lines (ruamel keeps them before the next)
        _before_first(parent, key, tail)
