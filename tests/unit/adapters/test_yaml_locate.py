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
