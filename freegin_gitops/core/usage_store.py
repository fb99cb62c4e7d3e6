"""The usage store's interface: what the router, the gateway, listings and refresh need of it.

SQLite (:mod:`freegin_gitops.adapters.usage_db`) implements it, and so can any store shared by
several routers (PostgreSQL). Every method may raise
:class:`~freegin_gitops.errors.UsageStoreError`; none returns before its write is durable.

- :meth:`UsageStore.record` writes a batch of attempts in one transaction (a gateway's writer
  passes hundreds at a time; ``ask`` one). The ``rate_limits`` of each record update the latest
  values seen for its provider and model in that same transaction.
- :meth:`UsageStore.count_windows` answers many budget windows in one call, so a store across a
  network can answer a whole plan in one round trip; each answer counts only attempts that
  reached the provider (:func:`~freegin_gitops.core.usage.reached_provider`), tokens as
  :attr:`~freegin_gitops.core.usage.UsageRecord.tokens` counts them, and must stay fast whatever
  the table's size (no scan of the rows outside the window).
- Cool-downs are per provider (``model`` None) or per model; setting one that ends earlier than
  the one in force for the same provider and model does not shorten it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from freegin_gitops.core.usage import (
    Cooldown,
    RateLimitSeen,
    UsageKey,
    UsageRecord,
    UsageStats,
    WindowQuery,
    WindowUsage,
)


class UsageStore(Protocol):
    """Where attempts, budget counts, cool-downs and rate-limit headers are kept."""

    def record(self, records: Sequence[UsageRecord]) -> None:
        """Store ``records`` (and their rate-limit values) in one transaction."""

    def stats(self) -> dict[UsageKey, UsageStats]:
        """Figures for every provider x model x workload seen."""
        ...

    def count_windows(self, queries: Sequence[WindowQuery]) -> list[WindowUsage]:
        """What reached each provider (or model) in each window, in the order asked."""
        ...

    def cool_down(self, cooldown: Cooldown) -> None:
        """Keep the provider (or model) uncalled until ``cooldown.until_epoch``; the later of
        this and a cool-down already set for the same provider and model wins."""

    def active_cooldowns(self, now_epoch: float) -> list[Cooldown]:
        """The cool-downs that end after ``now_epoch``."""
        ...

    def rate_limits(self) -> list[RateLimitSeen]:
        """The latest rate-limit header values seen, per provider, model and header."""
        ...

    def close(self) -> None:
        """Release the connection(s)."""
