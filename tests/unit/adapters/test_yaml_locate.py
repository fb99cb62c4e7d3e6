"""Finding JSON paths in a file's events: values, keys, the nearest existing ancestor."""

from __future__ import annotations

import pytest

from freegin_gitops.adapters.yaml_locate import Locator, Position

DOCUMENT = """\
# a comment
provider: groq
api:
  style: openai
models:
  - id: first
    workloads: [chat, code]
  - id: second
    hints: {speed: fast}
"""


@pytest.mark.parametrize(
    ("path", "key", "position"),
    [
        ((), None, Position(2, 1)),
        (("provider",), None, Position(2, 11)),
        (("api", "style"), None, Position(4, 10)),
        (("models", 1, "id"), None, Position(8, 9)),
        (("models", 0, "workloads", 1), None, Position(7, 23)),
        (("models", 1, "hints", "speed"), None, Position(9, 20)),
        (("api",), "style", Position(4, 3)),
        ((), "models", Position(5, 1)),
    ],
)
def test_locator_finds_values_and_keys(
    path: tuple[str | int, ...], key: str | None, position: Position
) -> None:
    assert Locator(DOCUMENT).locate(path, key) == position


@pytest.mark.parametrize(
    ("path", "position"),
    [
        (("models", 1, "workloads"), Position(8, 5)),
        (("models", 7, "id"), Position(6, 3)),
        (("nothing", "here"), Position(2, 1)),
    ],
)
def test_locator_falls_back_to_the_nearest_existing_ancestor(
    path: tuple[str | int, ...], position: Position
) -> None:
    assert Locator(DOCUMENT).locate(path) == position


def test_locator_on_unreadable_text_points_at_the_start() -> None:
    assert Locator("a: [1,\n").locate(("a", 0)) == Position(1, 1)


def test_many_paths_are_found_in_one_pass_as_one_by_one() -> None:
    requests = [
        ((), None),
        (("models", 1, "id"), None),
        (("models", 0, "workloads", 1), None),
        (("api",), "style"),
        (("models", 7, "id"), None),
        (("models", 1), "hints"),
    ]
    locator = Locator(DOCUMENT.encode())
    assert locator.locate_all(requests) == [Locator(DOCUMENT).locate(p, k) for p, k in requests]


@pytest.mark.parametrize(
    ("path", "key", "position"),
    [
        (("models",), "id", Position(6, 3)),  # a key asked of a list: the list itself
        (("api",), "nokey", Position(4, 3)),  # a key the mapping lacks: the mapping
        (("models", 0), "workloads", Position(7, 5)),
        ((), "api", Position(3, 1)),
    ],
)
def test_a_key_that_is_not_there_points_at_its_collection(
    path: tuple[str | int, ...], key: str, position: Position
) -> None:
    assert Locator(DOCUMENT).locate(path, key) == position


@pytest.mark.parametrize(
    ("text", "path", "key", "position"),
    [
        ("", ("a",), None, Position(1, 1)),  # an empty file: its start
        ("# only a comment\n", ("a",), "b", Position(1, 1)),
        ("? [a, b]\n: value\nnext: 1\n", ("next",), None, Position(3, 7)),  # a list as a key
        ("? [a, b]\n: value\nnext: 1\n", (), "next", Position(3, 1)),
        ("? {k: v}\n: {x: 1}\nnext: [1, 2]\n", ("next", 1), None, Position(3, 11)),  # a mapping as a key
        ("a: &x [1, 2]\nb: *x\nc: 2\n", ("c",), None, Position(3, 4)),  # an alias is one value
        ("l: [&x 1, *x, 3]\n", ("l", 2), None, Position(1, 15)),
        ("a: 1\nb: 2\na: 3\n", ("a",), None, Position(1, 4)),  # a duplicate key: the first
        ("a: 1\nb: 2\na: 3\n", (), "a", Position(1, 1)),
        ("- a\n- b: 1\n  c: 2\n", (1, "c"), None, Position(3, 6)),  # a list at the top
        ("- a\n- b: 1\n  c: 2\n", (1,), "c", Position(3, 3)),
        ("- a\n- b: 1\n  c: 2\n", (0,), "c", Position(1, 3)),  # a key asked of a scalar: the scalar
        ("m:\n  x: [1, {y: 2}]\n  z: 3\n", ("m", "z"), None, Position(3, 6)),  # after a flow list
        ("m:\n  x: [1, {y: 2}]\n  z: 3\n", ("m", "x", 1, "y"), None, Position(2, 14)),
        ("m:\n  x: [1, {y: 2}]\n  z: 3\n", ("m", "x", 1), "y", Position(2, 11)),
    ],
)
def test_keys_and_values_are_found_past_complex_keys_aliases_and_flow_collections(
    text: str, path: tuple[str | int, ...], key: str | None, position: Position
) -> None:
    assert Locator(text).locate(path, key) == position


def test_a_key_of_a_missing_path_is_looked_for_in_the_nearest_existing_ancestor() -> None:
    assert Locator(DOCUMENT).locate(("api", "missing"), "style") == Position(4, 3)
    assert Locator(DOCUMENT).locate(("missing", 0), "models") == Position(5, 1)
    assert Locator(DOCUMENT).locate(("api", "missing"), "nowhere") == Position(4, 3)


def test_the_value_of_a_collection_key_is_not_taken_for_the_key_before_it() -> None:
    # "a" is a scalar: the {b: 2} after the complex key is not a's, so a/b falls back to a
    assert Locator("a: 1\n? [x]\n: {b: 2}\n").locate(("a", "b")) == Position(1, 4)
