"""``python -m freegin_gitops.docs [--check] [--root DIR]``: regenerate docs/freegin-ai.1 and
docs/catalog.md in a source checkout, or with ``--check`` exit 1 when either is out of date."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from freegin_gitops.adapters.files import atomic_write
from freegin_gitops.docs.generate import documents

_CHECKOUT = Path(__file__).resolve().parents[2]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m freegin_gitops.docs", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is stale")
    parser.add_argument(
        "--root", type=Path, default=_CHECKOUT, help="repository root (default: this source checkout)"
    )
    args = parser.parse_args(argv)
    root: Path = args.root
    if not (root / "schemas").is_dir():
        parser.error(f"{root} has no schemas/ folder: run this from a source checkout or pass --root")
    stale = []
    for relative, text in documents(root).items():
        path = root / relative
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(relative)
        if not args.check:
            atomic_write(path, text.encode("utf-8"))
            print(f"wrote {relative}")
    if args.check and stale:
        names = ", ".join(str(p) for p in stale)
        print(f"out of date: {names}; run python -m freegin_gitops.docs", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
