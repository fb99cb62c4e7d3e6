"""Reading catalog files at a git ref without a checkout, and the state of a work tree (git plumbing)."""

from __future__ import annotations

from pathlib import Path

from freegin_gitops.adapters.git.run import run_git
from freegin_gitops.core.layout import CATALOG_DIR, is_catalog_file
from freegin_gitops.core.problems import Problem
from freegin_gitops.errors import CatalogInvalid, GitRefused


def resolve_commit(root: Path, ref: str) -> str:
    """The commit id ``ref`` names; :class:`GitRefused` if it names none."""
    if ref.startswith("-"):
        raise GitRefused(f"{ref!r} is not a git ref")
    try:
        return run_git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
    except GitRefused as exc:
        raise GitRefused(f"the git ref {ref!r} does not name a commit in {root}") from exc


_SYMLINK = "120000"


def read_catalog_at(
    root: Path, ref: str, prefix: str = "", max_bytes: int | None = None
) -> tuple[str, dict[str, bytes]]:
    """The commit ``ref`` names and the catalog YAML files in it, keyed by path from the folder
    that holds ``catalog/``: ``prefix`` (``infra/ai/``) in the repository.

    As in a work tree (:mod:`freegin_gitops.adapters.catalog_dir`), only regular files are read,
    each up to ``FREEGIN_MAX_FILE_BYTES``: a committed symbolic link or an oversized blob is
    :class:`CatalogInvalid`, naming every such file, and nothing of it is read."""
    if max_bytes is None:
        from freegin_gitops.adapters.env_limits import current_limits

        max_bytes = current_limits().max_file_bytes
    commit = resolve_commit(root, ref)
    where = f"{prefix}{CATALOG_DIR}/"
    listing = run_git(root, "ls-tree", "-r", "-z", "-l", "--full-tree", commit, "--", where)
    entries: list[tuple[str, str]] = []
    refused: list[Problem] = []
    for record in listing.split(b"\0"):
        if not record:
            continue
        meta, _, name = record.partition(b"\t")
        mode, kind, obj, listed_size = meta.decode().split()
        path = name.decode("utf-8", "surrogateescape").removeprefix(prefix)
        if kind != "blob" or not is_catalog_file(path.rsplit("/", 1)[-1]):
            continue
        if mode == _SYMLINK:
            message = (
                f"is a symbolic link at {commit[:12]}; catalog files read from git must be regular files"
            )
            refused.append(Problem(path, 0, 0, message))
        elif int(listed_size) > max_bytes:
            message = (
                f"is {int(listed_size)} bytes at {commit[:12]}, over the {max_bytes} a catalog file may have "
                "(FREEGIN_MAX_FILE_BYTES); it was not read"
            )
            refused.append(Problem(path, 0, 0, message))
        else:
            entries.append((path, obj))
    if refused:
        raise CatalogInvalid(refused)
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


def read_file_at(root: Path, commit: str, path: str, max_bytes: int | None = None) -> bytes | None:
    """The bytes of the regular file ``path`` (from the repository's root) at ``commit``, or None
    when the commit has no such file, or something else there (a link, a folder); a blob over
    ``FREEGIN_MAX_FILE_BYTES`` is :class:`GitRefused` and not read."""
    if max_bytes is None:
        from freegin_gitops.adapters.env_limits import current_limits

        max_bytes = current_limits().max_file_bytes
    listing = run_git(root, "ls-tree", "-z", "-l", "--full-tree", commit, "--", path)
    meta, _, _name = listing.rstrip(b"\0").partition(b"\t")
    fields = meta.decode().split()
    if len(fields) != 4 or fields[0] not in ("100644", "100755") or fields[1] != "blob":
        return None
    if int(fields[3]) > max_bytes:
        raise GitRefused(
            f"{path} is {int(fields[3])} bytes at {commit[:12]}, over the {max_bytes} a file may have "
            "(FREEGIN_MAX_FILE_BYTES); it was not read"
        )
    return run_git(root, "cat-file", "blob", fields[2])


def toplevel(start: Path) -> Path | None:
    """The root of the git work tree containing ``start`` (found without running git)."""
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def head_state(root: Path, pathspec: str = CATALOG_DIR) -> tuple[str | None, bool | None]:
    """The HEAD commit of ``root`` and whether ``pathspec`` has uncommitted changes; (None, None)
    when ``root`` is not a git work tree or has no commit yet. One ``git status`` says both."""
    if toplevel(root) is None:
        return None, None
    try:
        status = run_git(
            root,
            *("status", "--porcelain=v2", "--branch", "--no-ahead-behind", "--untracked-files=all"),
            *("--", pathspec),
        )
    except GitRefused:
        return None, None
    commit: str | None = None
    dirty = False
    for line in status.decode("utf-8", "surrogateescape").splitlines():
        if line.startswith("# branch.oid "):
            oid = line.removeprefix("# branch.oid ").strip()
            commit = oid if oid != "(initial)" else None
        elif line and not line.startswith("#"):
            dirty = True
    if commit is None:
        return None, None
    return commit, dirty
