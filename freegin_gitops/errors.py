"""The package's one error hierarchy.

Every error carries a message that is one clear sentence naming the file, provider or model
concerned. The CLI turns :class:`FreeginError` into exit code 1 (``BadUsage`` into 2) in one place;
libraries' own exceptions are re-raised as these, ``from`` the original, in the adapter that wraps
the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from freegin_gitops.core.problems import Problem
    from freegin_gitops.core.usage import RateLimitValue


class FreeginError(Exception):
    """Base class: an expected failure with a message for the user."""

    exit_code = 1


class BadUsage(FreeginError):
    """The command line asked for something that cannot be done (exit 2)."""

    exit_code = 2


class CatalogInvalid(FreeginError):
    """One or more catalog files have problems; ``problems`` lists them all."""

    def __init__(self, problems: Sequence[Problem], message: str | None = None) -> None:
        self.problems = tuple(problems)
        if message is None:
            first = self.problems[0].render() if self.problems else "the catalog is invalid"
            more = len(self.problems) - 1
            message = first if more <= 0 else f"{first} (and {more} more problem(s); run validate)"
        super().__init__(message)


class CatalogNotFound(FreeginError):
    """No catalog was named and none was found where the search looked (inside a git repository
    the bundled starter catalog is never used in its place)."""


class AlreadyExists(FreeginError):
    """A file to be created is already there (``init`` never writes over a file)."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


class CatalogReadOnly(FreeginError):
    """A write was asked of a catalog that cannot be written (the bundled starter catalog)."""


class FileError(FreeginError):
    """A file or folder could not be read or written (the adapters' file I/O: catalog files,
    atomic writes, locks, schemas, saved answers); the message names the path and why."""


class NotFound(FreeginError):
    """An unknown provider, model, workload or suggestion was named."""


class ProviderError(FreeginError):
    """A provider call failed. ``kind`` is a short machine-readable error kind."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        model: str | None = None,
        kind: str = "error",
        status_code: int | None = None,
        retry_after_s: float | None = None,
        wait_basis: str | None = None,
        daily_quota: bool = False,
        rate_limits: tuple[RateLimitValue, ...] = (),
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.kind = kind
        self.status_code = status_code
        self.retry_after_s = retry_after_s  # a 429's wait, and ``wait_basis`` the header saying so
        self.wait_basis = wait_basis
        self.daily_quota = daily_quota  # a 429 that says the day's quota is spent
        self.rate_limits = rate_limits  # the answer's x-ratelimit-limit-* / -remaining-* values


class NoCandidateAnswered(FreeginError):
    """Every candidate of a routed call failed or was skipped."""


class AnswerInvalid(FreeginError):
    """An LLM answer to a refresh prompt could not be used."""


class GitRefused(FreeginError):
    """A git operation was refused or failed (conflict, someone else's commits, no repository)."""


class GitHubError(FreeginError):
    """The GitHub REST API refused or failed a request."""


class UsageStoreError(FreeginError):
    """The usage database could not be opened, migrated or written."""


class TransportFailed(FreeginError):
    """An HTTP exchange did not complete within its bounds. ``kind`` is ``timeout``, ``connect``,
    ``too_large`` or ``protocol``; callers turn it into their own error naming who was called."""

    def __init__(self, kind: str, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.detail = detail  # for ``connect``: the exception class, as in "cannot connect to URL (X)"


class RequestRefused(FreeginError):
    """The gateway refuses a client's request: ``status`` is the HTTP status it answers with,
    ``code`` and ``param`` go into OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        param: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.param = param
        self.retry_after_s = retry_after_s
