"""Generate benchmark-scale catalogs: one from real models.dev data, one synthetic.

    python benchmarks/catalogs.py models-dev DEST
    python benchmarks/catalogs.py synthetic DEST --models 20000 --providers 100 --seed 0

Both write DEST/catalog/ in the layout of SPEC.md "Catalog files". Standard library only: the
YAML is written by a small emitter that quotes every string a YAML 1.1 (PyYAML) or YAML 1.2
(ruamel.yaml) loader could read as anything but that string. Output is byte-identical across runs.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

EXTRACT = Path(__file__).resolve().parent / "data" / "models_dev_extract.json.gz"
DEFAULT_ADDED = date(2026, 1, 1)

_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_BASE_URL = re.compile(r"^https?://[^\s]+[^/\s]$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CODE_WORDS = re.compile(r"code|coder|codestral|devstral", re.IGNORECASE)
_KEY_LIKE = tuple(re.compile(p) for p in (r"API_KEY", r"TOKEN|_PAT$", r"KEY|CREDENTIALS"))

WORKLOADS = (
    ("chat", "General conversation", 8000),
    ("summarisation", "Condense long text", 15000),
    ("code", "Write and explain code", 15000),
)


@dataclass(frozen=True)
class CatalogStats:
    """What a generator wrote."""

    providers: int
    models: int
    active: int
    bytes_written: int
    duplicates_dropped: int = 0


@dataclass(frozen=True)
class Model:
    id: str
    name: str | None
    workloads: tuple[str, ...]
    added: date
    context_window: int | None = None
    max_output_tokens: int | None = None
    reasoning: bool | None = None
    cost: str | None = None
    retired: date | None = None


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    base_url: str
    api_key_env: str | None
    models: tuple[Model, ...] = field(default=())


# --- YAML emitter -----------------------------------------------------------------------------

# Plain scalars are allowed only from this conservative alphabet; anything else is quoted.
# Single inner spaces are fine as long as no ": " or " #" forms (checked in _needs_quotes).
_PLAIN = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_./@:+~()-]| (?=[^ ]))*$")
# Everything that could resolve to a number, date or timestamp in YAML 1.1 or 1.2.
_NUMBER_LIKE = re.compile(r"^[-+.]?[0-9][0-9a-fA-FxXoObBtTzZ_.:eE+ -]*$")
_RESERVED = frozenset(
    ("y", "n", "yes", "no", "true", "false", "on", "off", "null", "~", "nan", "inf", ".nan", ".inf")
)
_FLOW_PLAIN = re.compile(r"^[a-z][a-z0-9_-]*$")


def _needs_quotes(text: str) -> bool:
    return (
        not _PLAIN.match(text)
        or text.endswith(":")
        or ": " in text
        or " #" in text
        or text.lower() in _RESERVED
        or bool(_NUMBER_LIKE.match(text))
    )


def _escape_char(ch: str) -> str:
    code = ord(ch)
    if ch == '"':
        return '\\"'
    if ch == "\\":
        return "\\\\"
    if 0x20 <= code <= 0x7E or (
        code >= 0xA0 and code not in (0x2028, 0x2029, 0xFEFF, 0xFFFE, 0xFFFF) and not 0xD800 <= code <= 0xDFFF
    ):
        return ch
    if ch in "\t\n\r":
        return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[ch]
    if code <= 0xFF:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def quote(text: str) -> str:
    """Double-quote a string with YAML escapes that PyYAML and ruamel both read back exactly."""
    return '"' + "".join(_escape_char(ch) for ch in text) + '"'


def scalar(value: object, *, flow: bool = False) -> str:
    """One YAML scalar. Dates are written unquoted so loaders read them as dates."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        if flow:
            return value if _FLOW_PLAIN.match(value) and not _needs_quotes(value) else quote(value)
        return quote(value) if _needs_quotes(value) else value
    raise TypeError(f"cannot emit {type(value).__name__} as a YAML scalar")


def _flow_map(pairs: Iterable[tuple[str, object]]) -> str:
    return "{" + ", ".join(f"{k}: {scalar(v, flow=True)}" for k, v in pairs) + "}"


def _flow_list(items: Iterable[str]) -> str:
    return "[" + ", ".join(scalar(v, flow=True) for v in items) + "]"


def _schema_line(relative: str) -> str:
    return f"# yaml-language-server: $schema={relative}\n"


def render_provider(provider: Provider) -> str:
    lines = [
        _schema_line("../../schemas/provider.schema.json").rstrip("\n"),
        f"provider: {scalar(provider.id)}",
        f"name: {scalar(provider.name)}",
        "api:",
        "  style: openai",
        f"  base_url: {scalar(provider.base_url)}",
    ]
    if provider.api_key_env:
        lines.append(f"  api_key_env: {scalar(provider.api_key_env)}")
    lines.append("models:" if provider.models else "models: []")
    for m in provider.models:
        lines.append(f"  - id: {scalar(m.id)}")
        if m.name:
            lines.append(f"    name: {scalar(m.name)}")
        lines.append(f"    workloads: {_flow_list(m.workloads)}")
        lines.append(f"    status: {'retired' if m.retired else 'active'}")
        hints = [
            (k, v)
            for k, v in (
                ("context_window", m.context_window),
                ("max_output_tokens", m.max_output_tokens),
                ("reasoning", m.reasoning),
                ("cost", m.cost),
            )
            if v is not None
        ]
        if hints:
            lines.append(f"    hints: {_flow_map(hints)}")
        lines.append(f"    added: {scalar(m.added)}")
        if m.retired:
            lines.append(f"    retired: {scalar(m.retired)}")
            lines.append("    reason: deprecated upstream")
    return "\n".join(lines) + "\n"


def render_workloads() -> str:
    body = "".join(
        f"  {name}: {_flow_map([('description', desc), ('max_latency_ms', ms)])}\n"
        for name, desc, ms in WORKLOADS
    )
    return _schema_line("../schemas/workloads.schema.json") + "workloads:\n" + body


def render_config(provider: str, model: str) -> str:
    return (
        _schema_line("../schemas/config.schema.json")
        + f"refresh:\n  provider: {scalar(provider)}\n  model: {scalar(model)}\n"
        + "routing:\n  include_pending: false\n"
    )


# --- writing ----------------------------------------------------------------------------------


def _write(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def write_catalog(dest: Path, providers: list[Provider], *, overwrite: bool = False) -> CatalogStats:
    """Write DEST/catalog/ for the given providers (already in file order)."""
    root = dest / "catalog"
    if root.exists():
        if not overwrite:
            raise FileExistsError(f"{root} already exists; pass overwrite=True (--force) to replace it")
        shutil.rmtree(root)
    (root / "providers").mkdir(parents=True)
    (root / "suggestions").mkdir()
    written = 0
    for p in providers:
        written += _write(root / "providers" / f"{p.id}.yaml", render_provider(p))
    written += _write(root / "workloads.yaml", render_workloads())
    refresh = _refresh_model(providers)
    written += _write(root / "config.yaml", render_config(refresh[0], refresh[1]))
    models = [m for p in providers for m in p.models]
    return CatalogStats(
        providers=len(providers),
        models=len(models),
        active=sum(1 for m in models if m.retired is None),
        bytes_written=written,
    )


def _refresh_model(providers: list[Provider]) -> tuple[str, str]:
    """First active free chat model with tool calls; else the first active model."""
    active = [(p, m) for p in providers for m in p.models if m.retired is None]
    if not active:
        raise ValueError("the catalog has no active model to answer refresh prompts")
    for p, m in active:
        if m.cost == "free" and "code" in m.workloads and (m.context_window or 0) >= 32_768:
            return p.id, m.id
    return active[0][0].id, active[0][1].id


def workloads_for(model_id: str, name: str, tool_call: bool, context: int | None) -> tuple[str, ...]:
    found = ["chat"]
    if context is not None and context >= 32_000:
        found.append("summarisation")
    if tool_call or _CODE_WORDS.search(model_id) or _CODE_WORDS.search(name):
        found.append("code")
    return tuple(found)


# --- models.dev -------------------------------------------------------------------------------


def _parse_date(text: object) -> date | None:
    if not isinstance(text, str) or not _ISO_DATE.match(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def normalise_provider_id(raw: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")
    return (slug or "provider")[:63].rstrip("-")


def _api_key_env(env: list[str]) -> str | None:
    """The variable that holds the key; upstream sometimes lists account or region names first."""
    names = [e for e in env if _ENV_NAME.match(e)]
    for pattern in _KEY_LIKE:
        found = next((e for e in names if pattern.search(e)), None)
        if found:
            return found
    return names[0] if names else None


def _cost(raw: dict[str, Any]) -> str | None:
    cost = raw.get("cost")
    if not cost or "input" not in cost or "output" not in cost:
        return None
    return "free" if cost["input"] == 0 and cost["output"] == 0 else "paid"


def _models_dev_model(raw: dict[str, Any]) -> Model:
    model_id, name = raw["id"], raw.get("name") or raw["id"]
    limit = raw.get("limit", {})
    context = _positive(limit.get("context"))
    added = _parse_date(raw.get("release_date")) or DEFAULT_ADDED
    retired = None
    if raw.get("status") == "deprecated" or raw.get("deprecated"):
        retired = max(added, _parse_date(raw.get("last_updated")) or added)
    return Model(
        id=model_id,
        name=name,
        workloads=workloads_for(model_id, name, bool(raw.get("tool_call")), context),
        added=added,
        context_window=context,
        max_output_tokens=_positive(limit.get("output")),
        reasoning=bool(raw.get("reasoning")),
        cost=_cost(raw),
        retired=retired,
    )


def models_dev_providers(extract: dict[str, Any]) -> tuple[list[Provider], int]:
    """Providers from the extract, sorted by normalised id, and the number of dropped duplicates."""
    by_id: dict[str, Provider] = {}
    dropped = 0
    for raw in extract["providers"]:
        pid = normalise_provider_id(raw["id"])
        base = pid
        suffix = 2
        while pid in by_id:
            pid = f"{base[:60]}-{suffix}"
            suffix += 1
        seen: set[str] = set()
        models = []
        for m in raw["models"]:
            if m["id"] in seen or not m["id"] or re.search(r"\s", m["id"]):
                dropped += 1
                continue
            seen.add(m["id"])
            models.append(_models_dev_model(m))
        api = (raw.get("api") or "").rstrip("/")
        by_id[pid] = Provider(
            id=pid,
            name=raw.get("name") or raw["id"],
            base_url=api if _BASE_URL.match(api) else f"https://{pid}.invalid/v1",
            api_key_env=_api_key_env(raw.get("env") or []),
            models=tuple(models),
        )
    return [by_id[k] for k in sorted(by_id)], dropped


def load_extract(path: Path = EXTRACT) -> dict[str, Any]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data: dict[str, Any] = json.load(f)
    return data


def _copy_id(pid: str, copy: int) -> str:
    """The id of the ``copy``-th copy of provider ``pid`` (the first copy keeps its id)."""
    if copy == 1:
        return pid
    suffix = f"-x{copy}"
    return pid[: 63 - len(suffix)].rstrip("-") + suffix


def write_models_dev_catalog(dest: Path, *, copies: int = 1, overwrite: bool = False) -> CatalogStats:
    """Write DEST/catalog/ with every provider and model of the bundled models.dev extract.

    With ``copies`` > 1 every provider is written that many times (``groq``, ``groq-x2``, ...),
    each copy with the same models: a catalog ``copies`` times the size of models.dev with its
    real mix of ids, names and file sizes (10 copies: 1,470 providers, 52,760 models).
    """
    if copies < 1:
        raise ValueError("need at least one copy")
    originals, dropped = models_dev_providers(load_extract())
    providers = [
        Provider(
            _copy_id(p.id, k), p.name if k == 1 else f"{p.name} ({k})", p.base_url, p.api_key_env, p.models
        )
        for p in originals
        for k in range(1, copies + 1)
    ]
    providers.sort(key=lambda p: p.id)
    stats = write_catalog(dest, providers, overwrite=overwrite)
    return CatalogStats(stats.providers, stats.models, stats.active, stats.bytes_written, dropped * copies)


def write_one_big_provider(dest: Path, target_bytes: int, *, overwrite: bool = False) -> CatalogStats:
    """Write DEST/catalog/ with one provider file of about ``target_bytes``: models.dev's models
    (each id once), repeated with numbered ids (``-r2``, ``-r3``, ...) until the file is that big."""
    originals, _dropped = models_dev_providers(load_extract())
    pool: dict[str, Model] = {}
    for p in originals:
        for m in p.models:
            pool.setdefault(m.id, m)
    empty = Provider("big", "Big Provider", "https://api.big.example/v1", "BIG_API_KEY")
    header = len(render_provider(empty).encode())
    one_round = len(render_provider(replace(empty, models=tuple(pool.values()))).encode()) - header
    rounds = max(1, round((target_bytes - header) / one_round))
    ids = set(pool)
    models: list[Model] = list(pool.values())
    for r in range(2, rounds + 1):
        for m in pool.values():
            new_id = f"{m.id}-r{r}"
            if new_id not in ids:
                ids.add(new_id)
                models.append(replace(m, id=new_id))
    return write_catalog(dest, [replace(empty, models=tuple(models))], overwrite=overwrite)


# --- synthetic --------------------------------------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_PREFIXES = _words(
    "swift open free bright deep neural cloud quantum hyper nova"
    " polar lumen vertex cobalt ember aurora zen atlas orbit pixel"
)
_SUFFIXES = _words("ai cloud infer labs compute gateway router hub stack api")
_ORGS = _words(
    "meta-llama mistralai Qwen google deepseek-ai microsoft nvidia ibm-granite"
    " CohereForAI allenai 01-ai tiiuae THUDM moonshotai openai"
)
_FAMILIES = _words(
    "llama mistral qwen gemma deepseek phi nemotron granite command olmo yi falcon glm kimi"
    " gpt-oss codestral devstral qwen-coder"
)
_VERSIONS = _words("2 2.5 3 3.1 3.3 4 v2 v3 r1 k2 m2")
_SIZES = _words("1b 3b 7b 8b 14b 32b 70b 120b 405b 8x7b 30b-a3b")
_VARIANTS = ("", *_words("instruct chat it preview turbo fp8 awq vision thinking"))


def _synthetic_id(rng: random.Random, style: int) -> tuple[str, str]:
    org, family = rng.choice(_ORGS), rng.choice(_FAMILIES)
    version, size, variant = rng.choice(_VERSIONS), rng.choice(_SIZES), rng.choice(_VARIANTS)
    base = "-".join(x for x in (f"{family}-{version}", size, variant) if x)
    name = f"{family.title()} {version} {size.upper()} {variant.title()}".strip()
    if style == 0:
        return f"{org}/{base}", name
    if style == 1:
        return f"{family}{version}:{size}" + (f"-{variant}" if variant else ""), name
    if style == 2:
        return f"@cf/{org.lower()}/{base}", name
    return base, name


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """Split total into parts unevenly (weights 1..10) with an exact sum."""
    weights = [rng.uniform(1.0, 10.0) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    order = sorted(range(parts), key=lambda i: (counts[i] - weights[i] * scale, i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _synthetic_provider_ids(count: int, rng: random.Random) -> Iterator[str]:
    combos = [f"{p}-{s}" for p in _PREFIXES for s in _SUFFIXES]
    rng.shuffle(combos)
    for i in range(count):
        cycle, combo = divmod(i, len(combos))
        yield combos[combo] if cycle == 0 else f"{combos[combo]}-{cycle + 1}"


def write_synthetic_catalog(
    dest: Path,
    models: int = 20_000,
    providers: int = 100,
    seed: int = 0,
    *,
    overwrite: bool = False,
) -> CatalogStats:
    """Write DEST/catalog/ with exactly `models` deterministic entries over `providers` files."""
    if providers < 1 or models < 1:
        raise ValueError("need at least one provider and one model")
    rng = random.Random(seed)
    counts = _split(models, providers, rng)
    built = []
    for pid, count in zip(_synthetic_provider_ids(providers, rng), counts, strict=True):
        style = rng.randrange(4)
        seen: set[str] = set()
        entries: list[Model] = []
        while len(entries) < count:
            model_id, name = _synthetic_id(rng, style)
            while model_id in seen:
                model_id = f"{model_id}-{len(entries)}"
            seen.add(model_id)
            context = rng.choice((8192, 32768, 65536, 131072, 262144, 1048576))
            added = date.fromordinal(date(2023, 1, 1).toordinal() + rng.randrange(1200))
            retired = None
            if rng.random() < 0.05:
                retired = date.fromordinal(added.toordinal() + rng.randrange(1, 300))
            entries.append(
                Model(
                    id=model_id,
                    name=name,
                    workloads=workloads_for(model_id, name, rng.random() < 0.6, context),
                    added=added,
                    context_window=context,
                    max_output_tokens=rng.choice((4096, 8192, 16384, 32768)),
                    reasoning="thinking" in model_id or "r1" in model_id,
                    cost=rng.choice(("free", "free", "paid")),
                    retired=retired,
                )
            )
        built.append(
            Provider(
                id=pid,
                name=pid.replace("-", " ").title(),
                base_url=f"https://api.{pid}.example/v1",
                api_key_env=pid.upper().replace("-", "_") + "_API_KEY",
                models=tuple(entries),
            )
        )
    return write_catalog(dest, sorted(built, key=lambda p: p.id), overwrite=overwrite)


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="kind", required=True)
    md = sub.add_parser("models-dev", help="catalog of every models.dev provider and model")
    md.add_argument("dest", type=Path)
    syn = sub.add_parser("synthetic", help="deterministic synthetic catalog")
    syn.add_argument("dest", type=Path)
    syn.add_argument("--models", type=int, default=20_000)
    syn.add_argument("--providers", type=int, default=100)
    syn.add_argument("--seed", type=int, default=0)
    for p in (md, syn):
        p.add_argument("--force", action="store_true", help="replace an existing DEST/catalog")
    args = parser.parse_args(argv)
    try:
        if args.kind == "models-dev":
            stats = write_models_dev_catalog(args.dest, overwrite=args.force)
        else:
            stats = write_synthetic_catalog(
                args.dest, args.models, args.providers, args.seed, overwrite=args.force
            )
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(
        f"{args.dest / 'catalog'}: {stats.providers} providers, {stats.models} models "
        f"({stats.active} active, {stats.duplicates_dropped} duplicates dropped), "
        f"{stats.bytes_written} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
