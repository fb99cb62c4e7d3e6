"""Reading the catalog files of a working tree."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from freegin_gitops.core.layout import CATALOG_DIR, is_catalog_file
from freegin_gitops.errors import FileError


def catalog_paths(root: Path) -> list[str]:
    """Repository-relative paths of the YAML files under ``root/catalog`` (hidden ones skipped)."""
    base = root / CATALOG_DIR
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        rel = Path(dirpath).relative_to(root).as_posix()
        found.extend(f"{rel}/{name}" for name in filenames if is_catalog_file(name))
    return sorted(found)


def read_catalog_dir(root: Path) -> dict[str, bytes]:
    """Every catalog YAML file's bytes, keyed by repository-relative path."""
    files: dict[str, bytes] = {}
    for rel in catalog_paths(root):
        try:
            files[rel] = (root / rel).read_bytes()
        except OSError as exc:
            raise FileError(f"{rel} cannot be read: {exc.strerror}") from exc
    return files


FileStat = tuple[str, int, int, int, int, int, int]  # path, mode, device, inode, size, mtime, ctime (ns)


def stat_catalog_dir(root: Path) -> list[FileStat] | None:
    """What ``lstat`` says of every catalog file (the files :func:`catalog_paths` lists), in path
    order; None when the catalog holds a link or anything but folders and regular files: only a
    full read can judge those. Entries are looked at relative to their folder's descriptor, which
    costs a third of looking them up by path."""
    found: list[FileStat] = []
    try:
        fd = os.open(root / CATALOG_DIR, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        return found if _stat_folder(fd, CATALOG_DIR, found) else None
    finally:
        os.close(fd)


def _stat_folder(fd: int, rel: str, found: list[FileStat]) -> bool:
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
            try:
                child = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            except OSError:
                return False
            try:
                if not _stat_folder(child, f"{rel}/{name}", found):
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
