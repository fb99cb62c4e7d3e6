"""The limits in force for this process: :mod:`freegin_gitops.core.limits` over ``os.environ``."""

from __future__ import annotations

import os

from freegin_gitops.core.limits import Limits, limits_from


def current_limits() -> Limits:
    """The caps and deadlines set by the environment (``FREEGIN_MAX_RESPONSE_BYTES``, ...), read
    now: tests and long-lived processes see a change at the next call."""
    return limits_from(os.environ)
