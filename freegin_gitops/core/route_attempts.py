"""The attempt policy of a routed call: which planned candidate is called next, what a failure
means for the rest of the call, and the sentence when none answered.

The sync router (``ask``, refresh) and the gateway's async router both drive a call with
:class:`RouteAttempts`, so the policy exists once; they only differ in how they call a provider,
record usage and keep cool-downs. Nothing here does I/O or reads a clock: times are passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Literal, NamedTuple

from freegin_gitops.core.compiled_catalog import Candidate
from freegin_gitops.core.route_plan import Plan
from freegin_gitops.errors import ProviderError

DEFAULT_COOLDOWN_S = 30.0  # after a 429 that says nothing of when to come back
MAX_COOLDOWN_S = 24 * 3600.0  # a wait longer than a day is not believed
DAILY_UNKNOWN_S = 3600.0  # a daily-quota 429 on a rolling day with no time given: look again then
SKIPPED_SHOWN = 8  # providers named in a failure sentence; the rest are counted

Outcome = Literal["answered", "failed", "skipped"]


class Attempt(NamedTuple):
    provider: str
    model: str
    origin: str
    outcome: Outcome
    reason: str | None = None
    error_kind: str | None = None
    status_code: int | None = None
    latency_ms: float | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "provider": self.provider,
            "model": self.model,
            "origin": self.origin,
            "outcome": self.outcome,
            "reason": self.reason,
            "error_kind": self.error_kind,
            "status_code": self.status_code,
            "latency_ms": round(self.latency_ms, 1) if self.latency_ms is not None else None,
        }


class Cooldown(NamedTuple):
    until: float  # epoch seconds
    reason: str


def cooldown_after(error: ProviderError, now: float, day_reset_at: float | None = None) -> Cooldown | None:
    """The fallback decision for a failed call. Every provider failure moves on to the next
    candidate (a connection error, a timeout, HTTP 429 or 5xx, and also a refused key, an unknown
    model or an answer that is not the expected JSON); an HTTP 429 also cools the candidate down
    (the caller decides whether its model or its whole provider): for the time the provider gave
    (``Retry-After``, ``x-ratelimit-reset-*``, ``X-RateLimit-Reset``, ...; at most a day) or else 30
    seconds. A 429 that says the day's quota is spent cools down until ``day_reset_at``, when the
    day starts over (or later, if the provider said so); on a rolling day, for the time the
    provider gave or else an hour. Returns that cool-down, or None."""
    if error.kind != "rate_limited":
        return None
    wait = None if error.retry_after_s is None else min(error.retry_after_s, MAX_COOLDOWN_S)
    said = _said(error, error.retry_after_s)  # what the provider said, even when not believed
    if error.daily_quota:
        spent = "HTTP 429: the day's quota is spent"
        if day_reset_at is not None and (wait is None or now + wait <= day_reset_at):
            return Cooldown(day_reset_at, spent)
        return Cooldown(now + (DAILY_UNKNOWN_S if wait is None else wait), spent + said)
    if wait is None:
        return Cooldown(now + DEFAULT_COOLDOWN_S, "HTTP 429")
    return Cooldown(now + wait, "HTTP 429" + said)


def _said(error: ProviderError, wait: float | None) -> str:
    """Where the wait came from, for the reason shown: ``, x-ratelimit-reset-requests 2m59.56s``."""
    if wait is None:
        return ""
    if error.wait_basis and not error.wait_basis.startswith("Retry-After"):
        return f", {error.wait_basis}"
    return f", Retry-After {wait:.0f}s"


def skipped_attempt(candidate: Candidate, reason: str) -> Attempt:
    return Attempt(candidate.provider, candidate.model, candidate.origin, "skipped", reason)


def failed_attempt(candidate: Candidate, error: ProviderError, latency_ms: float) -> Attempt:
    return Attempt(
        candidate.provider,
        candidate.model,
        candidate.origin,
        "failed",
        str(error),
        error.kind,
        error.status_code,
        latency_ms,
    )


def answered_attempt(candidate: Candidate, status_code: int | None, latency_ms: float) -> Attempt:
    return Attempt(
        candidate.provider, candidate.model, candidate.origin, "answered", None, None, status_code, latency_ms
    )


class RouteAttempts:
    """One routed call's attempts. Iterate :meth:`to_call` for the candidates to call, in order,
    and report each call's result with :meth:`failed` or :meth:`answered`::

        attempts = RouteAttempts(plan, catalog.max_attempts)
        for candidate in attempts.to_call(skip_now):
            try:
                answer = call(candidate)
            except ProviderError as error:
                cooldown = attempts.failed(candidate, error, latency_ms, now)
                ...  # keep the cool-down, if any
                continue
            attempts.answered(candidate, answer.status_code, latency_ms)
            return answer
        raise NoCandidateAnswered(attempts.failure_sentence())

    At most ``max_calls`` calls are made, even when more candidates are usable.
    """

    def __init__(
        self, plan: Plan, max_calls: int, on_attempt: Callable[[Attempt], None] | None = None
    ) -> None:
        self.plan = plan
        self.max_calls = max_calls
        self.attempts: list[Attempt] = []
        self.calls = 0
        self._on_attempt = on_attempt

    def _note(self, attempt: Attempt) -> Attempt:
        self.attempts.append(attempt)
        if self._on_attempt is not None:
            self._on_attempt(attempt)
        return attempt

    def to_call(self, skip_now: Callable[[Candidate], str | None]) -> Iterator[Candidate]:
        """The candidates to call, in plan order. A candidate the plan found usable is checked
        again with ``skip_now`` (a provider may have started cooling down since); skipped ones
        are recorded as such."""
        for entry in self.plan.entries:
            if self.calls >= self.max_calls:
                return
            candidate = entry.candidate
            skip = entry.skip if entry.skip is not None else skip_now(candidate)
            if skip is not None:
                self._note(skipped_attempt(candidate, skip))
                continue
            yield candidate

    def failed(
        self,
        candidate: Candidate,
        error: ProviderError,
        latency_ms: float,
        now: float,
        day_reset_at: float | None = None,
    ) -> Cooldown | None:
        """Record a failed call; the cool-down it causes, if any (:func:`cooldown_after`)."""
        self.calls += 1
        self._note(failed_attempt(candidate, error, latency_ms))
        return cooldown_after(error, now, day_reset_at)

    def answered(self, candidate: Candidate, status_code: int | None, latency_ms: float) -> Attempt:
        """Record the call that answered."""
        self.calls += 1
        return self._note(answered_attempt(candidate, status_code, latency_ms))

    def failure_sentence(self) -> str:
        return failure_sentence(self.plan, self.attempts)


def failure_sentence(plan: Plan, attempts: Iterable[Attempt], shown: int = SKIPPED_SHOWN) -> str:
    """One sentence saying what was tried and which providers were skipped and why, for a call no
    candidate answered (the first ``shown`` skipped providers by name, the rest counted)."""
    failed: list[str] = []
    skipped: dict[str, str] = {}
    for a in attempts:
        if a.outcome == "failed":
            failed.append(a.reason or f"{a.provider}/{a.model}")
        elif a.outcome == "skipped":
            skipped.setdefault(a.provider, a.reason or "skipped")
    if not failed and not skipped:
        return f"no candidate for workload {plan.workload!r}: the catalog has none"
    parts = []
    if failed:
        parts.append("tried " + "; ".join(failed))
    if skipped:
        listed = [f"{p} ({why})" for p, why in list(skipped.items())[:shown]]
        more = len(skipped) - shown
        parts.append("skipped " + ", ".join(listed) + (f" and {more} more provider(s)" if more > 0 else ""))
    return f"no candidate answered for workload {plan.workload!r}: " + "; ".join(parts)
