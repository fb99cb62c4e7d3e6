"""Added latency of ``freegin-ai serve``: the same load sent to a loopback provider directly, through
the gateway, and (where ``litellm[proxy]`` installs) through LiteLLM's proxy, in one run.

    python benchmarks/gateway.py            # about 3 minutes, plus LiteLLM's install the first time
    python benchmarks/gateway.py --quick    # fewer requests and rounds
    python benchmarks/gateway.py --no-litellm
    python benchmarks/gateway.py --upstreams  # also the gateway over httpx.AsyncClient and aiohttp
    python benchmarks/gateway.py --floor      # also a byte relay with no HTTP in it (the floor)

Run it with the interpreter of the environment freegin-ai is installed in with its ``serve``
extra (``.venv/bin/python``). LiteLLM goes into its own virtualenv under ``benchmarks/.work/``
(``pip install 'litellm[proxy]'`` from PyPI), never into freegin-ai's.

The provider (``loopback_provider.py``) answers after a fixed delay, plain or as a stream of 20
chunks. A client of our own (raw HTTP/1.1 over asyncio with uvloop, one keep-alive connection per
concurrent client, so that it costs the same for every target) sends N requests at each
concurrency; latency is from writing the request to reading the last byte, time to first byte
to the first body chunk of a stream. Targets are measured in interleaved rounds (direct, gateway,
LiteLLM, direct, ...) and each figure is the median over rounds of that round's median (or p99),
so a burst of load from elsewhere hits every target alike. "Added" is a target's figure minus the
direct figure of the same round.

CPU per request is each server process's CPU time (user and system, from ``/proc``) over the
requests it served in a round: the provider's for the direct calls, the gateway's own (not the
provider's behind it) for the gateway. Unlike latency it hardly moves when other jobs load the
machine, so its ratio to the provider's is the figure to compare across runs on a shared machine.
With ``--upstreams`` the same gateway runs twice more, its providers called through one
``httpx.AsyncClient`` and (where ``aiohttp`` is installed) one ``aiohttp.ClientSession`` instead of
its own pool (``benchmarks/gateway_upstreams.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "benchmarks" / ".work"
PYTHON = sys.executable
PROVIDER_DELAY_MS = 20.0
LITELLM_KEY = "sk-bench-master-0123456789abcdef"
FLOOR = "byte relay (floor)"
BODY = json.dumps(
    {
        "model": "chat",
        "messages": [{"role": "user", "content": "Write one sentence about benchmarks."}],
        "max_tokens": 100,
        "temperature": 0.2,
    }
).encode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, process: subprocess.Popen[bytes], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise SystemExit(f"{what} did not listen on port {port} within {timeout:.0f}s")


@contextlib.contextmanager
def process(
    argv: list[str],
    port: int,
    what: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    log: Path | None = None,
) -> Iterator[subprocess.Popen[bytes]]:
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(argv, env=env, stdout=out, stderr=out, stdin=subprocess.DEVNULL)
    try:
        wait_port(port, proc, timeout, what)
        yield proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log:
            out.close()  # type: ignore[union-attr]


# -- the load client ---------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection that sends a fixed POST and reads the whole answer."""

    def __init__(self, port: int, path: str, body: bytes, headers: dict[str, str]) -> None:
        self.port = port
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: 127.0.0.1:{port}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            *(f"{k}: {v}" for k, v in headers.items()),
        ]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reopened = 0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    async def send(self) -> tuple[float, float]:
        """(latency, time to the first body byte), in seconds."""
        assert self.reader is not None and self.writer is not None
        start = time.perf_counter()
        self.writer.write(self.request)
        try:
            head = await self.reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as exc:
            if exc.partial:
                raise
            # The server closed the keep-alive connection without answering: send again on a
            # new one, once, as HTTP clients do (counted in the report).
            self.reopened += 1
            self.writer.close()
            await self.open()
            assert self.reader is not None and self.writer is not None
            start = time.perf_counter()
            self.writer.write(self.request)
            head = await self.reader.readuntil(b"\r\n\r\n")
        reader = self.reader
        status = int(head.split(b" ", 2)[1])
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {head[:200]!r}")
        lowered = head.lower()
        if b"transfer-encoding: chunked" in lowered:
            first = None
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                await reader.readexactly(size + 2)
                if first is None:
                    first = time.perf_counter()
                if size == 0:
                    break
            end = time.perf_counter()
            return end - start, first - start
        length = int(lowered.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
        await reader.readexactly(length)
        end = time.perf_counter()
        return end - start, end - start

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def load(
    port: int, path: str, body: bytes, headers: dict[str, str], clients: int, requests: int
) -> tuple[list[float], list[float]]:
    """Latencies and times to first byte of ``requests`` requests from ``clients`` connections."""
    connections = [Connection(port, path, body, headers) for _ in range(clients)]
    await asyncio.gather(*(c.open() for c in connections))
    # Warm each connection (and the target's pool) at once: one after another, a slow target's
    # keep-alive timeout could close the first before the last is warm.
    await asyncio.gather(*(c.send() for c in connections))
    latencies: list[float] = []
    firsts: list[float] = []
    per_client = max(1, requests // clients)

    async def run(c: Connection) -> None:
        for _ in range(per_client):
            latency, first = await c.send()
            latencies.append(latency)
            firsts.append(first)

    try:
        await asyncio.gather(*(run(c) for c in connections))
    finally:
        for c in connections:
            c.close()
        REOPENED[port] = REOPENED.get(port, 0) + sum(c.reopened for c in connections)
    return latencies, firsts


FAILED: dict[str, str] = {}  # comparison targets that failed, and how
REOPENED: dict[int, int] = {}  # per port: requests sent again after the server closed unanswered


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


# -- the targets -------------------------------------------------------------------------------


@dataclass
class Target:
    name: str
    port: int
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = BODY
    pid: int | None = None  # the process whose CPU time it costs


def cpu_seconds(pid: int | None) -> float | None:
    """User and system CPU time of process ``pid`` so far (None where /proc cannot say)."""
    if pid is None:
        return None
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_catalog(root: Path, provider_port: int) -> Path:
    catalog = root / "catalog"
    (catalog / "providers").mkdir(parents=True)
    (catalog / "suggestions").mkdir()
    shutil.copy(ROOT / "catalog" / "workloads.yaml", catalog / "workloads.yaml")
    (catalog / "providers" / "bench.yaml").write_text(
        "# yaml-language-server: $schema=../../schemas/provider.schema.json\n"
        "provider: bench\nname: Bench (loopback)\n"
        f"api: {{style: openai, base_url: 'http://127.0.0.1:{provider_port}/v1',"
        " api_key_env: BENCH_API_KEY}\n"
        "models:\n  - id: bench-model\n    workloads: [chat, code, summarisation]\n    status: active\n"
        "    added: 2026-11-01\n"
    )
    (catalog / "config.yaml").write_text(
        "# yaml-language-server: $schema=../schemas/config.schema.json\n"
        "refresh: {provider: bench, model: bench-model, per_workload: 3}\n"
        "routing: {include_pending: false, provider_order: [bench], timeout_s: 30}\n"
    )
    return root


LITELLM_CONFIG = """model_list:
  - model_name: chat
    litellm_params:
      model: openai/bench-model
      api_base: http://127.0.0.1:{port}/v1
      api_key: sk-bench-0123456789
litellm_settings:
  telemetry: false
  drop_params: true
general_settings:
  disable_spend_logs: true
"""


def litellm_venv(quiet: bool) -> Path | None:
    """LiteLLM's proxy in its own virtualenv (installed once, from PyPI); None if it won't install."""
    venv = WORK / "litellm-venv"
    exe = venv / "bin" / "litellm"
    if exe.exists():
        return exe
    WORK.mkdir(parents=True, exist_ok=True)
    print("installing litellm[proxy] into benchmarks/.work/litellm-venv (once) ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "litellm[proxy]"],
            check=True,
            capture_output=quiet,
            timeout=1200,
        )
    except (subprocess.SubprocessError, OSError) as exc:
        print(f"litellm[proxy] did not install ({exc}); measuring without it", file=sys.stderr)
        return None
    return exe if exe.exists() else None


@dataclass
class Figures:
    """Per target and concurrency: the round medians and p99s of latency and of first bytes."""

    median: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    tail: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    first: dict[tuple[str, int], list[float]] = field(default_factory=dict)
    cpu: dict[tuple[str, int], list[float]] = field(default_factory=dict)  # seconds per request

    def add(
        self, name: str, clients: int, latencies: list[float], firsts: list[float], cpu: float | None
    ) -> None:
        self.median.setdefault((name, clients), []).append(statistics.median(latencies))
        self.tail.setdefault((name, clients), []).append(p99(latencies))
        self.first.setdefault((name, clients), []).append(statistics.median(firsts))
        if cpu is not None:
            self.cpu.setdefault((name, clients), []).append(cpu)


def added(figures: dict[tuple[str, int], list[float]], name: str, clients: int) -> float:
    """The median over rounds of (target - direct) in ms (the rounds the target took part in)."""
    pairs = zip(figures[(name, clients)], figures[("direct", clients)], strict=False)
    return statistics.median([(t - d) * 1000 for t, d in pairs])


def measure(
    targets: list[Target], concurrency: list[int], requests: dict[int, int], rounds: int, stream_requests: int
) -> tuple[Figures, Figures]:
    import uvloop

    plain, streamed = Figures(), Figures()
    stream_body = json.dumps({**json.loads(BODY), "stream": True}).encode()

    async def one(figures: Figures, target: Target, body: bytes, clients: int, count: int) -> None:
        before = cpu_seconds(target.pid)
        try:
            lat, first = await load(target.port, target.path, body, target.headers, clients, count)
        except (OSError, EOFError, RuntimeError, ValueError) as exc:
            reason = f"{target.name} failed at {clients} clients: {exc!r}"
            if target.name in ("direct", "freegin-ai serve"):
                raise SystemExit(reason) from None
            FAILED[target.name] = reason[:300]  # a comparison target: measured no further
            return
        after = cpu_seconds(target.pid)
        served = len(lat) + clients  # and one warm-up request per connection
        cpu = after - before if after is not None and before is not None else None
        figures.add(target.name, clients, lat, first, cpu / served if cpu is not None else None)

    async def main() -> None:
        for target in targets:  # warm-up
            await load(target.port, target.path, target.body, target.headers, 10, 200)
        for _ in range(rounds):
            for clients in concurrency:
                for target in targets:
                    if target.name not in FAILED:
                        await one(plain, target, target.body, clients, requests[clients])
            for clients in (1, 10):
                for target in targets:
                    if target.name not in FAILED:
                        await one(streamed, target, stream_body, clients, stream_requests)

    uvloop.run(main())
    return plain, streamed


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    system = f"{platform.system()} {platform.release()}"
    return f"{cpu}, {os.cpu_count()} cores, {system}, Python {platform.python_version()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests and rounds")
    parser.add_argument("--no-litellm", action="store_true", help="do not measure LiteLLM's proxy")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--upstreams", action="store_true", help="also the gateway over httpx.AsyncClient and aiohttp"
    )
    parser.add_argument(
        "--floor", action="store_true", help="also a byte relay with no HTTP in it (relay_floor.py)"
    )
    args = parser.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    scale = 0.4 if args.quick else 1.0
    concurrency = [1, 10, 50]
    requests = {1: int(150 * scale), 10: int(600 * scale), 50: int(1500 * scale)}
    stream_requests = int(150 * scale)

    litellm = None if args.no_litellm else litellm_venv(quiet=True)
    work = Path(tempfile.mkdtemp(prefix="freegin-gateway-bench-"))
    provider_port, gateway_port, litellm_port = free_port(), free_port(), free_port()
    try:
        return run_all(
            args,
            litellm,
            work,
            provider_port,
            gateway_port,
            litellm_port,
            concurrency,
            requests,
            rounds,
            stream_requests,
        )
    except SystemExit as failed:
        if not isinstance(failed.code, str):  # a target missed: the servers did nothing wrong
            raise
        for log in sorted(work.glob("*.log")):  # what the servers said, before they go
            print(f"--- {log.name}:", *log.read_text(errors="replace").splitlines()[-15:], sep="\n")
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_all(
    args: argparse.Namespace,
    litellm: Path | None,
    work: Path,
    provider_port: int,
    gateway_port: int,
    litellm_port: int,
    concurrency: list[int],
    requests: dict[int, int],
    rounds: int,
    stream_requests: int,
) -> int:
    env = {
        **os.environ,
        "BENCH_API_KEY": "sk-bench-0123456789",
        "FREEGIN_DB": str(work / "usage.db"),
        "FREEGIN_CACHE_DIR": str(work / "cache"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    repo = write_catalog(work / "repo", provider_port)
    subprocess.run([PYTHON, "-m", "compileall", "-q", str(ROOT / "freegin_gitops")], check=False)
    with contextlib.ExitStack() as stack:
        provider = stack.enter_context(
            process(
                [
                    PYTHON,
                    str(ROOT / "benchmarks" / "loopback_provider.py"),
                    str(provider_port),
                    str(PROVIDER_DELAY_MS),
                ],
                provider_port,
                "the provider",
            )
        )
        serve_args = ["--repo", str(repo), "serve", "--reload-interval", "0", "--port"]
        gateway = stack.enter_context(
            process(
                [PYTHON, "-m", "freegin_gitops", *serve_args, str(gateway_port)],
                gateway_port,
                "freegin-ai serve",
                env=env,
                log=work / "serve.log",
            )
        )
        targets = [
            Target(
                "direct",
                provider_port,
                "/v1/chat/completions",
                body=BODY.replace(b'"chat"', b'"bench-model"'),
                pid=provider.pid,
            ),
            Target("freegin-ai serve", gateway_port, "/v1/chat/completions", pid=gateway.pid),
        ]
        if args.floor:
            port = free_port()
            relay = stack.enter_context(
                process(
                    [PYTHON, str(ROOT / "benchmarks" / "relay_floor.py"), str(port), str(provider_port)],
                    port,
                    "the byte relay",
                )
            )
            targets.append(Target(FLOOR, port, "/v1/chat/completions", body=targets[0].body, pid=relay.pid))
        for kind in upstream_kinds() if args.upstreams else []:
            port = free_port()
            variant = stack.enter_context(
                process(
                    [PYTHON, str(ROOT / "benchmarks" / "gateway_upstreams.py"), kind, *serve_args, str(port)],
                    port,
                    f"freegin-ai serve over {kind}",
                    env={**env, "FREEGIN_DB": str(work / f"usage-{kind}.db")},
                    log=work / f"serve-{kind}.log",
                )
            )
            targets.append(Target(f"serve over {kind}", port, "/v1/chat/completions", pid=variant.pid))
        if litellm is not None:
            config = work / "litellm.yaml"
            config.write_text(LITELLM_CONFIG.format(port=provider_port))
            litellm_env = {
                **os.environ,
                "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                "LITELLM_LOG": "ERROR",
                "DISABLE_SCHEMA_UPDATE": "true",
                "LITELLM_MASTER_KEY": LITELLM_KEY,
                "NO_DOCS": "True",
            }
            proxy = stack.enter_context(
                process(
                    [
                        str(litellm),
                        "--config",
                        str(config),
                        "--port",
                        str(litellm_port),
                        "--num_workers",
                        "1",
                    ],
                    litellm_port,
                    "litellm",
                    env=litellm_env,
                    timeout=180,
                    log=work / "litellm.log",
                )
            )
            targets.append(
                Target(
                    "litellm proxy",
                    litellm_port,
                    "/v1/chat/completions",
                    headers={"Authorization": f"Bearer {LITELLM_KEY}"},
                    pid=proxy.pid,
                )
            )
        started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        load_before = os.getloadavg()
        plain, streamed = measure(targets, concurrency, requests, rounds, stream_requests)
        load_after = os.getloadavg()
    rows_stored = sqlite_count(work / "usage.db")
    loads = f"load average {load_before[0]:.1f} at the start, {load_after[0]:.1f} at the end"
    report(targets, plain, streamed, concurrency, rounds, requests, f"{started}; {loads}", rows_stored)
    return 0


def upstream_kinds() -> list[str]:
    """The other upstream clients to measure the gateway over: httpx, and aiohttp if installed."""
    import importlib.util

    return ["httpx"] + (["aiohttp"] if importlib.util.find_spec("aiohttp") else [])


def cpu_cell(figures: Figures, name: str, clients: int) -> str:
    """A target's CPU per request (median over rounds), and its ratio to the direct calls'."""
    mine, direct = figures.cpu.get((name, clients)), figures.cpu.get(("direct", clients))
    if not mine:
        return "-"
    ms = statistics.median(mine) * 1000
    if name == "direct" or not direct:
        return f"{ms:.3f} ms"
    return f"{ms:.3f} ms ({ms / (statistics.median(direct) * 1000):.1f}x)"


def sqlite_count(db: Path) -> int:
    import sqlite3

    with contextlib.closing(sqlite3.connect(db)) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM provider_usage").fetchone()[0])


def report(
    targets: list[Target],
    plain: Figures,
    streamed: Figures,
    concurrency: list[int],
    rounds: int,
    requests: dict[int, int],
    started: str,
    rows_stored: int,
) -> None:
    names = [t.name for t in targets]
    print(f"machine: {machine()}")
    print(
        f"started {started}; provider delay {PROVIDER_DELAY_MS:g} ms; {rounds} interleaved rounds; "
        f"requests per round: " + ", ".join(f"{requests[c]} at {c}" for c in concurrency)
    )
    print()
    print("| clients | target | median | p99 | added median | added p99 |")
    print("|---|---|---|---|---|---|")
    for clients in concurrency:
        for name in names:
            if (name, clients) not in plain.median:
                print(f"| {clients} | {name} | failed | - | - | - |")
                continue
            med = statistics.median(plain.median[(name, clients)]) * 1000
            tail = statistics.median(plain.tail[(name, clients)]) * 1000
            if name == "direct":
                print(f"| {clients} | {name} | {med:.2f} ms | {tail:.2f} ms | - | - |")
            else:
                print(
                    f"| {clients} | {name} | {med:.2f} ms | {tail:.2f} ms"
                    f" | {added(plain.median, name, clients):.2f} ms"
                    f" | {added(plain.tail, name, clients):.2f} ms |"
                )
    print()
    print("| stream, clients | target | time to first byte | added | whole stream | added |")
    print("|---|---|---|---|---|---|")
    for clients in (1, 10):
        for name in names:
            if (name, clients) not in streamed.first:
                print(f"| {clients} | {name} | failed | - | - | - |")
                continue
            ttfb = statistics.median(streamed.first[(name, clients)]) * 1000
            whole = statistics.median(streamed.median[(name, clients)]) * 1000
            if name == "direct":
                print(f"| {clients} | {name} | {ttfb:.2f} ms | - | {whole:.2f} ms | - |")
            else:
                print(
                    f"| {clients} | {name} | {ttfb:.2f} ms | {added(streamed.first, name, clients):.2f} ms |"
                    f" {whole:.2f} ms | {added(streamed.median, name, clients):.2f} ms |"
                )
    print()
    if plain.cpu:
        print("| CPU per request (the server's own) | 1 client | 10 clients | 50 clients | stream, 10 |")
        print("|---|---|---|---|---|")
        for name in names:
            cells = [cpu_cell(plain, name, c) for c in concurrency] + [cpu_cell(streamed, name, 10)]
            print(f"| {name} | " + " | ".join(cells) + " |")
        print()
    ours = added(plain.median, "freegin-ai serve", 10)
    ttfb = added(streamed.first, "freegin-ai serve", 10)
    checks = [
        (f"median added at 10 clients {ours:.2f} ms", "<= 1 ms", ours <= 1.0),
        (f"stream time to first byte added at 10 clients {ttfb:.2f} ms", "<= 2 ms", ttfb <= 2.0),
    ]
    if ("litellm proxy", 10) in plain.median:
        theirs = added(plain.median, "litellm proxy", 10)
        ratio = theirs / ours if ours > 0 else float("inf")
        checks.append(
            (f"LiteLLM's added median at 10 clients {theirs:.2f} ms: {ratio:.1f}x ours", ">= 3x", ratio >= 3)
        )
    if (FLOOR, 10) in plain.median:
        above = ours - added(plain.median, FLOOR, 10)
        print(f"serve's added median at 10 clients above the byte relay's: {above:.2f} ms")
    print(f"usage rows stored by the gateway: {rows_stored}")
    for reason in FAILED.values():
        print(reason)
    for t in targets:
        if REOPENED.get(t.port):
            print(f"{t.name} closed {REOPENED[t.port]} keep-alive connection(s) unanswered (sent again)")
    for text, target, ok in checks:
        print(f"{'ok ' if ok else 'MISS'} {text} (target {target})")
    if not all(ok for *_, ok in checks):
        raise SystemExit(1)


if __name__ == "__main__":
    sys.exit(main())
