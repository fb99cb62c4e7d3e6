"""Atomic file writes and an exclusive lock for catalog edits."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from freegin_gitops.errors import AlreadyExists, FileError, FreeginError


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half.

    A temporary file in the same folder is written, flushed and fsynced, then renamed over
    ``path``; the folder is fsynced so the rename survives a crash.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    except OSError as exc:
        raise FileError(f"{path} cannot be written: {exc.strerror}") from exc
    tmp = _staged(path, data, mode)
    try:
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileError(f"{path} cannot be written: {exc.strerror}") from exc
    _fsync_dir(path.parent)


def _staged(path: Path, data: bytes, mode: int) -> Path:
    """``data`` in a new temporary file beside ``path`` (``.NAME.<random>.tmp``), fsynced, with
    ``mode``; removed again if anything fails or is interrupted before it is returned."""
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise FileError(f"{path} cannot be written: {exc.strerror}") from exc
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.chmod(mode)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise FileError(f"{path} cannot be written: {exc.strerror}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive_lock(lock_path: Path, timeout_s: float = 30.0) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``lock_path`` (created if needed) while inside."""
    import fcntl
    import time

    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise FileError(f"the lock {lock_path} cannot be made: {exc.strerror}") from exc
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise FreeginError(
                        f"another freegin-ai process holds the lock {lock_path}; try again later"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def create_new(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file ``path``, whole or not at all; never over an existing file.

    The data goes to a temporary file in the same folder, fsynced, then hard-linked to ``path``:
    the link fails if ``path`` exists, so a file that appears meanwhile is never replaced.
    :class:`AlreadyExists` names it.
    """
    tmp = _staged(path, data, 0o644)
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise AlreadyExists(f"{path} already exists", path) from None
    except OSError as exc:
        raise FileError(f"{path} cannot be written: {exc.strerror}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)
