"""Where a refresh's pull request goes: the API URL, the repository and the token.

As in GitHub Actions: the token from ``GITHUB_TOKEN``, the API from ``GITHUB_API_URL`` (GitHub
Enterprise: ``https://HOST/api/v3``), the repository from ``GITHUB_REPOSITORY`` (``owner/name``)
or else from the ``origin`` remote's URL, which the caller reads from git and passes in.

The token is only sent to the API URL: a repository found on another host than github.com needs
``GITHUB_API_URL`` set explicitly rather than an API URL guessed from a remote, and plain http is
accepted only for a loopback host.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from freegin_gitops.errors import GitHubError

if TYPE_CHECKING:
    import httpx

    from freegin_gitops.adapters.github.pulls import GitHubPulls

DEFAULT_API_URL = "https://api.github.com"
GITHUB_HOSTS = frozenset({"github.com", "www.github.com", "ssh.github.com"})

_OWNER = r"[A-Za-z0-9](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
_NAME = r"[A-Za-z0-9_.-]+"
_REPOSITORY = re.compile(rf"(?P<owner>{_OWNER})/(?P<name>{_NAME})")
_SCP_LIKE = re.compile(r"(?:[^@/:]+@)?(?P<host>[^@/:]+):(?P<path>[^/].*)")
_URL_SCHEMES = frozenset({"https", "http", "ssh", "git", "git+ssh", "ssh+git"})


@dataclass(frozen=True, slots=True)
class RemoteRepository:
    host: str  # lower case, without port
    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


@dataclass(frozen=True, slots=True)
class GitHubTarget:
    api_url: str
    repository: str  # owner/name
    token: str = field(repr=False)

    def pulls(self, client: httpx.Client) -> GitHubPulls:
        """The pull-request API of this repository over ``client``."""
        from freegin_gitops.adapters.github.pulls import GitHubPulls

        return GitHubPulls(client, repository=self.repository, token=self.token, api_url=self.api_url)


def _redacted(url: str) -> str:
    """``url`` without any user or password, for messages."""
    return re.sub(r"^([A-Za-z][A-Za-z0-9+.-]*://)[^/@]*@", r"\1", url.strip())


def _split_repository(path: str, shown: str, where: str) -> tuple[str, str]:
    path = path.strip("/")
    path = path.removesuffix(".git") if path.endswith(".git") else path
    match = _REPOSITORY.fullmatch(path)
    if match is None or match["name"] in (".", ".."):
        raise GitHubError(
            f"{where} {shown!r} does not name a GitHub repository as owner/name; "
            "set GITHUB_REPOSITORY=owner/name."
        )
    return match["owner"], match["name"]


def parse_repository(value: str) -> tuple[str, str]:
    """``(owner, name)`` from ``owner/name`` (``GITHUB_REPOSITORY``)."""
    match = _REPOSITORY.fullmatch(value.strip())
    if match is None or match["name"] in (".", ".."):
        raise GitHubError(f"GITHUB_REPOSITORY {value!r} is not of the form owner/name.")
    return match["owner"], match["name"]


def _not_github(shown: str) -> GitHubError:
    return GitHubError(f"The origin remote {shown!r} is not a GitHub URL; set GITHUB_REPOSITORY=owner/name.")


def parse_remote_url(url: str) -> RemoteRepository:
    """Host, owner and name from a git remote URL: ``https://github.com/o/r.git``,
    ``git@github.com:o/r.git``, ``ssh://git@ghe.example:2222/o/r.git``, ``https://user@host/o/r``
    (``.git`` and a trailing slash optional)."""
    text = url.strip()
    shown = _redacted(text)
    if "://" in text:
        parts = urlsplit(text)
        try:
            host = parts.hostname
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            host = None
        if parts.scheme.lower() not in _URL_SCHEMES or not host or parts.query or parts.fragment:
            raise _not_github(shown)
        path = parts.path
    else:
        match = _SCP_LIKE.fullmatch(text)
        if match is None:
            raise _not_github(shown)
        host, path = match["host"], match["path"]
    owner, name = _split_repository(path, shown, "The origin remote")
    return RemoteRepository(host=host.lower(), owner=owner, name=name)


def _api_url(value: str) -> str:
    parts = urlsplit(value.strip())
    try:
        host = parts.hostname
    except ValueError:
        host = None
    if parts.scheme not in ("https", "http") or not host or parts.query or parts.fragment:
        raise GitHubError(
            f"GITHUB_API_URL {value!r} is not an http(s) URL such as https://ghe.example/api/v3."
        )
    if parts.username or parts.password:
        raise GitHubError("GITHUB_API_URL must not contain a user or password; use GITHUB_TOKEN.")
    if parts.scheme == "http" and not _loopback(host):
        raise GitHubError(
            f"GITHUB_API_URL {value!r} uses plain http; the token is only sent over https "
            "(or to a loopback address)."
        )
    return value.strip().rstrip("/")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_target(env: Mapping[str, str], origin_url: str | None) -> GitHubTarget:
    """The API URL, repository and token for a refresh PR, from the environment and the
    ``origin`` URL (None when there is no origin remote)."""
    token = env.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise GitHubError(
            "GITHUB_TOKEN is not set; set it to a token that may write pull requests "
            "(in GitHub Actions: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }})."
        )
    if any(ch.isspace() or not ch.isprintable() for ch in token):
        raise GitHubError("GITHUB_TOKEN contains spaces or control characters; check its value.")
    explicit_api = env.get("GITHUB_API_URL", "").strip()
    api_url = _api_url(explicit_api) if explicit_api else DEFAULT_API_URL
    repository = env.get("GITHUB_REPOSITORY", "").strip()
    if repository:
        owner, name = parse_repository(repository)
    elif origin_url and origin_url.strip():
        remote = parse_remote_url(origin_url)
        if remote.host not in GITHUB_HOSTS and not explicit_api:
            raise GitHubError(
                f"The origin remote is on {remote.host}, not github.com; set GITHUB_API_URL "
                f"(for GitHub Enterprise: https://{remote.host}/api/v3) or GITHUB_REPOSITORY."
            )
        owner, name = remote.owner, remote.name
    else:
        raise GitHubError(
            "No GitHub repository is known (there is no origin remote); set GITHUB_REPOSITORY=owner/name."
        )
    return GitHubTarget(api_url=api_url, repository=f"{owner}/{name}", token=token)
