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
    """What ``lstat`` says of every catalog file, in path order; None when one is not a regular
    file (a link, a device, a folder named ``*.yaml``): only a full read can judge those."""
    found: list[FileStat] = []
    for rel in catalog_paths(root):
        try:
            st = os.lstat(root / rel)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        found.append((rel, st.st_mode, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return found
