"""The content hash recorded in compiled/catalog.json (``source.content_sha256``)."""

from __future__ import annotations

import hashlib

from freegin_gitops.core.content import content_sha256

FILES = {"catalog/b.yaml": b"x: 1\n", "catalog/a.yaml": "n: \u00e9\n".encode()}


def test_the_hash_of_a_file_set_is_stable_across_releases() -> None:
    # a committed compiled file records this value: were the framing to change, every
    # repository's `compile --check` would call its compiled file stale after an upgrade
    assert content_sha256(FILES) == "14b773253db8efc5c9dfed63433a8760e2614f668a17dda458629609c1de1276"


def test_each_file_is_framed_by_its_path_and_an_eight_byte_length() -> None:
    digest = hashlib.sha256()
    for path in sorted(FILES):
        digest.update(path.encode() + b"\0" + len(FILES[path]).to_bytes(8, "big") + FILES[path])
    assert content_sha256(FILES) == digest.hexdigest()


def test_moving_bytes_from_one_file_to_the_next_changes_the_hash() -> None:
    assert content_sha256({"a": b"xy", "b": b""}) != content_sha256({"a": b"x", "b": b"y"})


def test_the_order_files_are_given_in_does_not_matter() -> None:
    assert content_sha256(dict(reversed(FILES.items()))) == content_sha256(FILES)
