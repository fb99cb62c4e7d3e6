"""Reading the catalog files of a working tree, as files a pull request may have crafted.

``validate`` runs on pull requests from forks, so a catalog file can be anything git can hold.
Only regular files are read, each up to ``FREEGIN_MAX_FILE_BYTES``; a symbolic link is followed
only to a regular file inside the catalog folder. Everything else is refused without reading a
byte through it, each with one sentence naming it:

* a link out of the catalog folder (to ``/etc/passwd``, ``~/.git-credentials``, the checkout's
  ``.git/config`` with its token): its content would otherwise end up quoted in annotations;
* a device (``/dev/zero``, which never ends), a FIFO (which blocks the reader for ever), a socket;
* a folder named like a catalog file, a link to a folder, a link that points nowhere;
* a file over the size cap, a folder that cannot be read.

Files are opened with ``O_NONBLOCK`` and ``O_NOFOLLOW`` and checked again with ``fstat`` on the open
descriptor, so a file swapped for a FIFO or a link after the folder was listed is refused too.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from freegin_gitops.core.layout import CATALOG_DIR, is_catalog_file
from freegin_gitops.core.problems import Problem
from freegin_gitops.errors import CatalogInvalid

MAX_DEPTH = 8  # catalog/providers/x.yaml is two levels down; anything much deeper is not ours
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A catalog path that was not read, and why (one sentence, naming no content)."""

    path: str  # repository-relative, as problems name files
    message: str
    folder: bool = False  # a whole folder: nothing under it was read

    def problem(self) -> Problem:
        return Problem(self.path, 0, 0, self.message)


@dataclass(frozen=True, slots=True)
class CatalogScan:
    """The catalog files of a working tree that could be read, and those refused."""

    files: dict[str, bytes] = field(default_factory=dict)
    refused: tuple[Refusal, ...] = ()

    def broken(self) -> list[str]:
        """Refused paths as the cross-file rules take them (a folder ends with ``/``)."""
        return [r.path + "/" if r.folder else r.path for r in self.refused]


class FileRefused(Exception):
    """Raised by :func:`read_regular` with the sentence that says why."""


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def read_regular(path: Path, max_bytes: int, *, follow: bool = False) -> bytes:
    """The bytes of the regular file at ``path``, at most ``max_bytes``; :class:`FileRefused`
    for anything else. Nothing blocks: a FIFO is opened non-blocking and refused."""
    flags = _OPEN_FLAGS | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise FileRefused("is a symbolic link; it was not followed") from None
        raise FileRefused(f"cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise FileRefused(f"is {_kind(info.st_mode)}, not a regular file; it was not read")
        if info.st_size > max_bytes:
            raise FileRefused(
                f"is {_size(info.st_size)}, over the {_size(max_bytes)} a catalog file may have "
                "(FREEGIN_MAX_FILE_BYTES); it was not read"
            )
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise FileRefused(
                f"grew over the {_size(max_bytes)} a catalog file may have (FREEGIN_MAX_FILE_BYTES) "
                "while it was read; it was not used"
            )
        return b"".join(chunks)
    except OSError as exc:
        raise FileRefused(f"cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def _inside(target: Path, folder: Path) -> bool:
    return target == folder or folder in target.parents


@dataclass(frozen=True, slots=True)
class _Entry:
    rel: str
    path: Path | None = None  # what to read (a link's target), None when refused
    refusal: Refusal | None = None


def _walk(root: Path) -> Iterator[_Entry]:
    """Every catalog file under ``root/catalog``, in path order, or why it is refused."""
    base = root / CATALOG_DIR
    try:
        base_info = base.lstat()
    except OSError:
        return
    if stat.S_ISLNK(base_info.st_mode):
        try:
            real_base = base.resolve(strict=True)
        except (OSError, RuntimeError):
            yield _Entry(
                CATALOG_DIR, refusal=Refusal(CATALOG_DIR, "is a symbolic link that points nowhere", True)
            )
            return
        if not _inside(real_base, root.resolve()) or ".git" in real_base.relative_to(root.resolve()).parts:
            message = "is a symbolic link out of the repository; nothing was read through it"
            yield _Entry(CATALOG_DIR, refusal=Refusal(CATALOG_DIR, message, True))
            return
    else:
        real_base = base.resolve()
    yield from _walk_folder(base, CATALOG_DIR, real_base, 0)


def _walk_folder(folder: Path, rel: str, real_base: Path, depth: int) -> Iterator[_Entry]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        message = f"cannot be read ({exc.strerror}); the files in it were not checked"
        yield _Entry(rel, refusal=Refusal(rel, message, True))
        return
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        child = f"{rel}/{name}"
        catalog_name = is_catalog_file(name)
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError as exc:
            if catalog_name:
                yield _Entry(child, refusal=Refusal(child, f"cannot be read ({exc.strerror})"))
            continue
        if stat.S_ISLNK(mode):
            yield from _link(Path(entry.path), child, catalog_name, real_base)
        elif stat.S_ISDIR(mode):
            if catalog_name:
                yield _Entry(child, refusal=Refusal(child, "is a folder, not a catalog file"))
            elif depth + 1 >= MAX_DEPTH:
                message = f"is nested more than {MAX_DEPTH} folders deep; it was not read"
                yield _Entry(child, refusal=Refusal(child, message, True))
            else:
                yield from _walk_folder(Path(entry.path), child, real_base, depth + 1)
        elif catalog_name:
            if stat.S_ISREG(mode):
                yield _Entry(child, Path(entry.path))
            else:
                message = f"is {_kind(mode)}, not a regular file; it was not read"
                yield _Entry(child, refusal=Refusal(child, message))


def _link(path: Path, rel: str, catalog_name: bool, real_base: Path) -> Iterator[_Entry]:
    try:
        target = path.resolve(strict=True)
        mode = target.stat().st_mode
    except (OSError, RuntimeError):
        if catalog_name:
            yield _Entry(
                rel, refusal=Refusal(rel, "is a symbolic link that points nowhere; nothing was read")
            )
        return
    if stat.S_ISDIR(mode):
        message = "is a symbolic link to a folder; catalog folders are not followed through links"
        yield _Entry(rel, refusal=Refusal(rel, message, True))
    elif not catalog_name:
        return
    elif not _inside(target, real_base):
        message = (
            "is a symbolic link to a file outside the catalog folder; it was not read (catalog "
            "files must be regular files, or links to catalog files)"
        )
        yield _Entry(rel, refusal=Refusal(rel, message))
    elif not stat.S_ISREG(mode):
        message = f"is a symbolic link to {_kind(mode)}, not to a regular file; it was not read"
        yield _Entry(rel, refusal=Refusal(rel, message))
    else:
        yield _Entry(rel, target)


def catalog_paths(root: Path) -> list[str]:
    """Repository-relative paths of the readable YAML files under ``root/catalog`` (hidden ones
    and refused ones left out)."""
    return [e.rel for e in _walk(root) if e.path is not None]


def scan_catalog_dir(root: Path, max_bytes: int | None = None) -> CatalogScan:
    """Every catalog file's bytes, keyed by repository-relative path, and every refusal."""
    if max_bytes is None:
        from freegin_gitops.adapters.env_limits import current_limits

        max_bytes = current_limits().max_file_bytes
    files: dict[str, bytes] = {}
    refused: list[Refusal] = []
    for entry in _walk(root):
        if entry.refusal is not None:
            refused.append(entry.refusal)
            continue
        assert entry.path is not None
        try:
            files[entry.rel] = read_regular(entry.path, max_bytes)
        except FileRefused as exc:
            refused.append(Refusal(entry.rel, str(exc)))
    return CatalogScan(files, tuple(refused))


def read_catalog_dir(root: Path, max_bytes: int | None = None) -> dict[str, bytes]:
    """Every catalog YAML file's bytes, keyed by repository-relative path;
    :class:`CatalogInvalid` naming what was refused, if anything was (see :func:`scan_catalog_dir`)."""
    scan = scan_catalog_dir(root, max_bytes)
    if scan.refused:
        raise CatalogInvalid([r.problem() for r in scan.refused])
    return scan.files


FileStat = tuple[str, int, int, int, int, int, int]  # path, mode, device, inode, size, mtime, ctime (ns)


def stat_catalog_dir(root: Path) -> list[FileStat] | None:
    """What ``lstat`` says of every catalog file (the files :func:`catalog_paths` lists), in path
    order; None when the catalog holds a link, anything but folders and regular files, or folders
    nested too deep: only :func:`scan_catalog_dir` can judge those. Entries are looked at
    relative to their folder's descriptor, which costs a third of looking them up by path."""
    found: list[FileStat] = []
    try:
        fd = os.open(root / CATALOG_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        return found if _stat_folder(fd, CATALOG_DIR, found) else None
    finally:
        os.close(fd)


def _stat_folder(fd: int, rel: str, found: list[FileStat], depth: int = 0) -> bool:
    try:
        with os.scandir(fd) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError:
        return False
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
        except OSError:
            return False
        if stat.S_ISDIR(st.st_mode):
            if depth + 1 >= MAX_DEPTH:
                return False
            try:
                child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError:
                return False
            try:
                if not _stat_folder(child, f"{rel}/{name}", found, depth + 1):
                    return False
            finally:
                os.close(child)
        elif not stat.S_ISREG(st.st_mode):
            return False
        elif is_catalog_file(name):
            path = f"{rel}/{name}"
            found.append((path, st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    if rel == CATALOG_DIR:
        found.sort()
    return True
