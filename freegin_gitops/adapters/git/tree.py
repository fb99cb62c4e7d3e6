"""Reading catalog files at a git ref without a checkout, and the state of a work tree (git plumbing)."""

from __future__ import annotations

from pathlib import Path

from freegin_gitops.adapters.git.run import run_git
from freegin_gitops.core.layout import CATALOG_DIR, is_catalog_file
from freegin_gitops.errors import GitRefused


def resolve_commit(root: Path, ref: str) -> str:
    """The commit id ``ref`` names; :class:`GitRefused` if it names none."""
    if ref.startswith("-"):
        raise GitRefused(f"{ref!r} is not a git ref")
    try:
        return run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except GitRefused as exc:
        raise GitRefused(f"the git ref {ref!r} does not name a commit in {root}") from exc


def read_catalog_at(root: Path, ref: str, prefix: str = "") -> tuple[str, dict[str, bytes]]:
    """The commit ``ref`` names and the catalog YAML files in it, keyed by path from the folder
    that holds ``catalog/``: ``prefix`` (``infra/ai/``) in the repository."""
    commit = resolve_commit(root, ref)
    listing = run_git(root, "ls-tree", "-r", "-z", "--full-tree", commit, "--", f"{prefix}{CATALOG_DIR}/")
    entries: list[tuple[str, str]] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        _mode, kind, obj = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape").removeprefix(prefix)
        if kind == "blob" and is_catalog_file(path.rsplit("/", 1)[-1]):
            entries.append((path, obj))
    if not entries:
        raise GitRefused(f"commit {commit[:12]} ({ref}) has no {prefix}{CATALOG_DIR}/ folder")
    out = run_git(root, "cat-file", "--batch", stdin="".join(f"{obj}\n" for _, obj in entries).encode())
    files: dict[str, bytes] = {}
    pos = 0
    for path, _obj in entries:
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        start = header_end + 1
        files[path] = out[start : start + size]
        pos = start + size + 1
    return commit, files


def read_file_at(root: Path, commit: str, path: str) -> bytes | None:
    """The bytes of the regular file ``path`` (from the repository's root) at ``commit``, or None
    when the commit has no such file (or something else there: a link, a folder)."""
    listing = run_git(root, "ls-tree", "-z", "--full-tree", commit, "--", path)
    meta, _, _name = listing.rstrip(b"\0").partition(b"\t")
    fields = meta.decode().split()
    if len(fields) != 3 or fields[0] not in ("100644", "100755") or fields[1] != "blob":
        return None
    return run_git(root, "cat-file", "blob", fields[2])


def toplevel(start: Path) -> Path | None:
    """The root of the git work tree containing ``start`` (found without running git)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def head_state(root: Path, pathspec: str = CATALOG_DIR) -> tuple[str | None, bool | None]:
    """The HEAD commit of ``root`` and whether ``pathspec`` has uncommitted changes; (None, None)
    when ``root`` is not a git work tree or has no commit yet."""
    if toplevel(root) is None:
        return None, None
    try:
        commit = run_git(root, "rev-parse", "--verify", "--quiet", "HEAD^{commit}").decode().strip()
        status = run_git(root, "status", "--porcelain", "--untracked-files=all", "--", pathspec)
    except GitRefused:
        return None, None
    return commit, bool(status.strip())
