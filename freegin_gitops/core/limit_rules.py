"""What a JSON Schema cannot say about one ``limits`` block (a provider's or a model's): a shorter
window may not allow more than a longer one."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

PERIOD_ORDER = ("minute", "hour", "day")


def limit_problems(limits: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(key, message) for each counted limit above the one of the next longer window."""
    found = []
    for kind in ("requests", "tokens"):
        given = [(p, limits[f"{kind}_per_{p}"]) for p in PERIOD_ORDER if f"{kind}_per_{p}" in limits]
        for (short, small), (long, big) in itertools.pairwise(given):
            if small > big:
                found.append(
                    (
                        f"{kind}_per_{short}",
                        f"{kind}_per_{short} ({small}) is more than {kind}_per_{long} ({big}): "
                        f"{'an' if short == 'hour' else 'a'} {short} cannot allow more than its {long}",
                    )
                )
    return found
