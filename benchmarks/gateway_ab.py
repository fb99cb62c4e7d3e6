"""A/B of the gateway: the same load through gateways run from different source trees (a checkout,
or a copy of ``freegin_gitops`` with one change), against one loopback provider, in interleaved
rounds, to tell whether a change moves the added latency or the CPU per request.

    python benchmarks/gateway_ab.py /tmp/before /tmp/after          # 10 clients, 8 rounds
    CLIENTS=1 COUNT=60 ROUNDS=8 python benchmarks/gateway_ab.py A B  # one client at a time

Each TREE is put first on ``PYTHONPATH`` of its gateway (it must hold ``freegin_gitops/``, and the
``schemas/`` and ``catalog/`` folders or links to them). Run it with the interpreter of the
environment freegin-ai is installed in, from a directory that is not a tree (``python -m`` puts
the current directory first). The load client, provider, catalog and figures are those of
``benchmarks/gateway.py``; a round's figure is its median, the result the median over rounds of
(target - direct). Run both orders: a target's place in the round moves it by a tenth of a
millisecond on a 2-core machine.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import gateway as bench


def main() -> int:
    trees = sys.argv[1:]
    if not trees:
        print(__doc__)
        return 2
    rounds = int(os.environ.get("ROUNDS", "8"))
    count = int(os.environ.get("COUNT", "300"))
    clients = int(os.environ.get("CLIENTS", "10"))
    work = Path(tempfile.mkdtemp(prefix="freegin-gateway-ab-"))
    provider_port = bench.free_port()
    repo = bench.write_catalog(work / "repo", provider_port)
    provider_argv = [bench.PYTHON, str(bench.ROOT / "benchmarks" / "loopback_provider.py")]
    with contextlib.ExitStack() as stack:
        provider = stack.enter_context(
            bench.process(
                [*provider_argv, str(provider_port), str(bench.PROVIDER_DELAY_MS)], provider_port, "provider"
            )
        )
        direct_body = bench.BODY.replace(b'"chat"', b'"bench-model"')
        targets = [
            bench.Target("direct", provider_port, "/v1/chat/completions", body=direct_body, pid=provider.pid)
        ]
        for number, tree in enumerate(trees):
            port = bench.free_port()
            env = {
                **os.environ,
                "PYTHONPATH": tree,
                "BENCH_API_KEY": "sk-bench-0123456789",
                "FREEGIN_DB": str(work / f"usage-{number}.db"),
                "FREEGIN_CACHE_DIR": str(work / "cache"),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
            argv = [
                bench.PYTHON,
                "-m",
                "freegin_gitops",
                "--repo",
                str(repo),
                "serve",
                "--reload-interval",
                "0",
            ]
            gateway = stack.enter_context(
                bench.process(
                    [*argv, "--port", str(port)], port, tree, env=env, log=work / f"serve-{number}.log"
                )
            )
            targets.append(bench.Target(f"{number}: {tree}", port, "/v1/chat/completions", pid=gateway.pid))
        medians: dict[str, list[float]] = {t.name: [] for t in targets}
        cpu: dict[str, list[float]] = {t.name: [] for t in targets}

        async def measure() -> None:
            for target in targets:  # warm-up
                await bench.load(target.port, target.path, target.body, target.headers, 10, 200)
            for _ in range(rounds):
                for target in targets:
                    before = bench.cpu_seconds(target.pid)
                    latencies, _ = await bench.load(
                        target.port, target.path, target.body, target.headers, clients, count
                    )
                    after = bench.cpu_seconds(target.pid)
                    medians[target.name].append(statistics.median(latencies))
                    if before is not None and after is not None:
                        cpu[target.name].append((after - before) / (len(latencies) + clients))

        import uvloop

        uvloop.run(measure())
    print(
        f"{clients} clients, {rounds} interleaved rounds of {count} requests, "
        f"provider delay {bench.PROVIDER_DELAY_MS:g} ms"
    )
    for target in targets:
        pairs = zip(medians[target.name], medians["direct"], strict=True)
        added = statistics.median([(t - d) * 1000 for t, d in pairs])
        used = f"{statistics.median(cpu[target.name]) * 1000:.3f} ms" if cpu[target.name] else "-"
        print(f"{target.name:40} added median {added:6.3f} ms   CPU per request {used}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
