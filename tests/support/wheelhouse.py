"""An offline package index for the tests that install freegin-ai as users do (a fresh
virtualenv, pre-commit's hook environment): wheels of the distributions this test environment
already has, repacked from their installed files, for freegin-ai's dependencies and its build
backend. pip then installs with ``--no-index --find-links``: no network, no package registry.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import zipfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

BUILD_BACKEND = "hatchling"


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def closure(names: Iterable[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``names`` need, with what they need in turn (no extras)."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = _normal(todo.pop())
        if name in found:
            continue
        dist = metadata.distribution(name)
        found[name] = dist
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return found


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def repack(dist: metadata.Distribution, folder: Path) -> Path:
    """A wheel of the installed ``dist`` in ``folder``, made from the files its RECORD lists."""
    files = [f for f in dist.files or [] if not str(f).startswith("..") and f.suffix != ".pyc"]
    info = next(str(f).split("/")[0] for f in files if str(f).endswith(".dist-info/METADATA"))
    wheel_meta = (dist.read_text("WHEEL") or "").splitlines()
    tags = [line.split(":", 1)[1].strip() for line in wheel_meta if line.startswith("Tag:")]
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    path = folder / f"{name}-{dist.version}-{tags[0]}.whl"
    skip = {f"{info}/{n}" for n in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")}
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for entry in files:
            arcname = str(entry)
            if arcname in skip:
                continue
            data = Path(str(entry.locate())).read_bytes()
            wheel.writestr(arcname, data)
            records.append(_record_line(arcname, data))
        records.append(f"{info}/RECORD,,")
        wheel.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return path


def build_wheelhouse(folder: Path) -> Path:
    """Wheels of freegin-ai's dependencies and of its build backend, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    runtime = [Requirement(r).name for r in metadata.requires("freegin-ai") or [] if "extra ==" not in r]
    for dist in closure([*runtime, BUILD_BACKEND]).values():
        repack(dist, folder)
    return folder


def offline_pip_env(wheelhouse: Path) -> dict[str, str]:
    """Environment variables that make every pip (and pre-commit's) install from ``wheelhouse``."""
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
    }
