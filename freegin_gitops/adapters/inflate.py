"""Decoding a compressed HTTP body a bounded piece at a time.

``zlib``'s ``decompress(data)`` inflates all of ``data`` at once: one 64 KiB read of a gzip bomb
becomes 64 MiB before any size cap can look at it (httpx and a plain decoder both do this). An
:class:`Inflater` yields at most :data:`PIECE` bytes per step, so a reader that counts what it
is given and stops at its cap holds no more than the cap and one piece.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any

PIECE = 64 * 1024  # the most one step of decoding produces


class EncodingBroken(ValueError):
    """A body that cannot be decoded, or an encoding that was not asked for; the message is a
    phrase such as ``the answer's gzip encoding is broken``."""


def _shown(name: str) -> str:
    return repr("".join(c for c in name[:20] if c.isprintable()))


class Inflater:
    """The decoder of one body's ``Content-Encoding``: gzip, deflate (zlib-wrapped, as the
    standard says, or raw, as some servers send it) or none."""

    def __init__(self, encoding: str | None) -> None:
        name = (encoding or "").strip().lower()
        self._name = name
        self._maybe_raw = name == "deflate"
        self._decoder: Any
        if name in ("", "identity"):
            self._decoder = None
        elif name in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == "deflate":
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise EncodingBroken(f"the answer's content encoding {_shown(name)} was not asked for")

    def _broken(self) -> EncodingBroken:
        return EncodingBroken(f"the answer's {self._name} encoding is broken")

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded pieces of ``data``, each at most :data:`PIECE` bytes."""
        if self._decoder is None:
            if data:
                yield data
            return
        try:
            piece = self._decoder.decompress(data, PIECE)
        except zlib.error:
            if not self._maybe_raw:
                raise self._broken() from None
            self._maybe_raw = False
            self._decoder = zlib.decompressobj(-zlib.MAX_WBITS)
            yield from self.feed(data)
            return
        self._maybe_raw = False
        while True:
            if piece:
                yield piece
            tail = self._decoder.unconsumed_tail
            if not tail:
                return
            try:
                piece = self._decoder.decompress(tail, PIECE)
            except zlib.error:
                raise self._broken() from None

    def pieces(self, raw: bytes | None) -> Iterator[bytes]:
        """The decoded pieces of ``raw``; None: what is left once the body ended."""
        if raw is not None:
            yield from self.feed(raw)
        elif tail := self.finish():
            yield tail

    def finish(self) -> bytes:
        """What is left once the body has ended (a few bytes at most)."""
        if self._decoder is None:
            return b""
        try:
            return bytes(self._decoder.flush())
        except zlib.error:
            raise self._broken() from None
