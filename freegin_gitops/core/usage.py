"""Usage figures of one provider x model x workload, as the usage sidecar reports them."""

from __future__ import annotations

from dataclasses import dataclass

UsageKey = tuple[str, str, str]  # (provider, model, workload)


@dataclass(frozen=True, slots=True)
class UsageStats:
    calls: int
    successes: int
    mean_latency_ms: float | None
    p95_latency_ms: float | None
    last_used: str | None  # ISO 8601 UTC

    @property
    def success_rate(self) -> float | None:
        return self.successes / self.calls if self.calls else None
