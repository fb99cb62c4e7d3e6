"""Regenerate models_dev_extract.json.gz from a models.dev JSON dump.

Usage: python benchmarks/data/make_extract.py PATH/TO/models_dev.json [OUTPUT]

The input is the one-document JSON conversion of anomalyco/models.dev described in
benchmarks/data/README.md. Only the fields a catalog entry needs are kept, so the benchmark
catalogs can be rebuilt offline. The output is deterministic: same input, same bytes.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path
from typing import Any

SOURCE = {
    "repository": "https://github.com/anomalyco/models.dev",
    "commit": "f3fc692299671838c7c65fd8126bf84d81a2e817",
    "license": "MIT",
    "copyright": "Copyright (c) 2025 spin.dev (models.dev LICENSE)",
}
DEFAULT_OUTPUT = Path(__file__).with_name("models_dev_extract.json.gz")


def _model(model_id: str, raw: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": model_id, "name": raw.get("name")}
    limit = raw.get("limit") or {}
    out["limit"] = {k: limit[k] for k in ("context", "output") if k in limit}
    out["reasoning"] = raw.get("reasoning")
    out["tool_call"] = raw.get("tool_call")
    out["release_date"] = raw.get("release_date")
    cost = raw.get("cost")
    if cost is not None:
        out["cost"] = {k: cost[k] for k in ("input", "output") if k in cost}
    for key in ("status", "deprecated"):
        if key in raw:
            out[key] = raw[key]
    # A retirement date is only needed for models that are deprecated upstream.
    if raw.get("status") == "deprecated" or raw.get("deprecated"):
        out["last_updated"] = raw.get("last_updated")
    return {k: v for k, v in out.items() if v is not None}


def extract(doc: dict[str, Any]) -> dict[str, Any]:
    """Return the compact extract of a models.dev document (providers sorted by id)."""
    providers = []
    for provider_id in sorted(doc):
        raw = doc[provider_id]
        entry: dict[str, Any] = {"id": provider_id, "name": raw.get("name")}
        if raw.get("api"):
            entry["api"] = raw["api"]
        entry["env"] = list(raw.get("env") or [])
        # Upstream order is preserved: it is the order models appear in the catalog.
        entry["models"] = [_model(mid, m) for mid, m in raw.get("models", {}).items()]
        providers.append(entry)
    return {"source": SOURCE, "providers": providers}


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    doc = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    output = Path(argv[1]) if len(argv) == 2 else DEFAULT_OUTPUT
    data = json.dumps(extract(doc), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    with (
        output.open("wb") as raw_file,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw_file, compresslevel=9, mtime=0) as gz,
    ):
        gz.write(data)
    models = sum(len(p["models"]) for p in json.loads(data)["providers"])
    print(f"{output}: {len(doc)} providers, {models} models, {output.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
