"""Catalog limits the provider contradicts: the ``x-ratelimit-limit-*`` values the router
recorded (the usage store's latest per provider, model and header) against the catalog's
``limits``, as corrections for refresh to propose, each with its evidence.

A header says which limit it is when its name gives the window (Cerebras'
``x-ratelimit-limit-requests-day``, ``-tokens-minute``). The bare ``-requests`` / ``-tokens``
(OpenAI: per minute; Groq: requests per day, tokens per minute) and OpenRouter's bare
``X-RateLimit-Limit`` do not: such a value is compared with every limit of its kind the catalog
declares, agrees when it equals one, and is taken for the one when only one is declared;
otherwise it is reported as unresolved, never guessed. A value is compared with the model's own
limit when the model declares that key, else with its provider's; a provider limit is corrected
only when every model that reports it reports the same value (otherwise the limit may be per
model, and that is reported). Only limits the catalog declares are corrected (none is added), only
from values seen in the last :data:`MAX_AGE_DAYS` days, for models that are not retired, and
never into limits that a shorter window would exceed (a correction that would make the
``limits`` block inconsistent is reported instead). Pure: the time is passed in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from freegin_gitops.core.catalog import Provider
from freegin_gitops.core.limit_rules import PERIOD_ORDER, limit_problems
from freegin_gitops.core.usage import RateLimitSeen, epoch_of

MAX_AGE_DAYS = 30
KINDS = ("requests", "tokens")
_EXPLICIT = {f"{kind}-{period}": f"{kind}_per_{period}" for kind in KINDS for period in PERIOD_ORDER}
_BARE = {"requests": "requests", "tokens": "tokens", "": "requests"}


@dataclass(frozen=True, slots=True)
class LimitCorrection:
    """A catalog limit to change to what the provider reports, and the headers that say so."""

    provider: str
    model: str | None  # None: the provider's limits (the key's)
    key: str  # requests_per_day, ...
    catalog: int
    reported: int
    evidence: tuple[str, ...]  # "x-ratelimit-limit-requests-day: 14400 on m, seen 2026-11-30 10:00 UTC"

    @property
    def where(self) -> str:
        return f"{self.provider}/{self.model}" if self.model else f"{self.provider} (all models)"


@dataclass(frozen=True, slots=True)
class LimitUnresolved:
    """A reported value that disagrees with the catalog but cannot be made a correction, and why."""

    provider: str
    model: str | None
    why: str


@dataclass(frozen=True, slots=True)
class LimitFindings:
    corrections: tuple[LimitCorrection, ...] = ()
    unresolved: tuple[LimitUnresolved, ...] = ()


def _seen_text(seen: RateLimitSeen) -> str:
    stamp = dt.datetime.fromtimestamp(epoch_of(seen.ts), dt.UTC)
    return f"{seen.value.header}: {seen.value.limit} on {seen.model}, seen {stamp:%Y-%m-%d %H:%M} UTC"


def _declared(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _candidate_keys(name: str) -> list[str] | None:
    if name in _EXPLICIT:
        return [_EXPLICIT[name]]
    if name in _BARE:
        return [f"{_BARE[name]}_per_{period}" for period in PERIOD_ORDER]
    return None


Target = tuple[str | None, str]  # (model, or None for the provider; key)


def _compare(
    provider: Provider,
    seen: RateLimitSeen,
    found: dict[Target, list[RateLimitSeen]],
    out: list[LimitUnresolved],
) -> None:
    """File ``seen`` under the catalog limit it is a value of (agreeing or not), or report it as
    unresolved, or drop it (the catalog declares nothing it could be)."""
    model = provider.model(seen.model)
    keys = _candidate_keys(seen.value.name)
    reported = seen.value.limit
    if model is None or model.status == "retired" or keys is None or reported is None or reported < 1:
        return
    declared: list[tuple[Target, int]] = []
    for key in keys:
        own, shared = _declared(model.limits.get(key)), _declared(provider.limits.get(key))
        if own is not None:
            declared.append(((model.id, key), own))
        elif shared is not None:
            declared.append(((None, key), shared))
    if not declared:
        return
    agreeing = [target for target, value in declared if value == reported]
    if agreeing:  # kept: another model may report something else for a provider-wide limit
        found.setdefault(agreeing[0], []).append(seen)
        return
    if len(declared) == 1:
        found.setdefault(declared[0][0], []).append(seen)
        return
    known = ", ".join(f"{key} {value}" for (_, key), value in declared)
    out.append(
        LimitUnresolved(
            provider.id,
            model.id,
            f"{seen.value.header} {reported} (on {model.id}) matches none of {known}, "
            "and the header does not say its window",
        )
    )


def _limits_of(provider: Provider, model: str | None) -> Mapping[str, object]:
    if model is None:
        return provider.limits
    entry = provider.model(model)
    return entry.limits if entry is not None else {}


def limit_findings(provider: Provider, seen: Sequence[RateLimitSeen], now_epoch: float) -> LimitFindings:
    """The corrections of ``provider``'s limits that the recorded headers ``seen`` call for."""
    found: dict[Target, list[RateLimitSeen]] = {}
    unresolved: list[LimitUnresolved] = []
    oldest = now_epoch - MAX_AGE_DAYS * 86400
    for s in sorted(seen, key=lambda s: (s.model, s.value.name)):
        if s.provider == provider.id and epoch_of(s.ts) >= oldest:
            _compare(provider, s, found, unresolved)
    corrections: list[LimitCorrection] = []
    blocks: dict[str | None, dict[str, object]] = {}  # each block with the corrections taken so far
    for (model, key), reports in sorted(found.items(), key=lambda item: (item[0][0] or "", item[0][1])):
        limits = blocks.setdefault(model, dict(_limits_of(provider, model)))
        catalog = _declared(_limits_of(provider, model).get(key))
        assert catalog is not None
        values = sorted({r.value.limit for r in reports if r.value.limit is not None})
        if values == [catalog]:
            continue
        if len(values) > 1:
            each = ", ".join(f"{r.model} {r.value.limit}" for r in reports)
            unresolved.append(
                LimitUnresolved(
                    provider.id,
                    model,
                    f"{key} is {catalog} in the catalog, but the headers disagree among themselves "
                    f"({each}): the limit may be per model",
                )
            )
            continue
        (reported,) = values
        problems = limit_problems({**limits, key: reported})
        if problems:
            unresolved.append(
                LimitUnresolved(
                    provider.id, model, f"{key} {reported} is reported, but then {problems[0][1]}"
                )
            )
            continue
        limits[key] = reported
        evidence = tuple(_seen_text(r) for r in reports)
        corrections.append(LimitCorrection(provider.id, model, key, catalog, reported, evidence))
    return LimitFindings(tuple(corrections), tuple(unresolved))
