"""Benchmark of the digest at scale: 1k, 5k and 10k pods on 100 fake nodes, beside kubectl.

A real control plane is seeded with pods (two containers each) spread over 10 namespaces and
100 nodes, with a realistic mix of failures the fake node agent plays: crash loops (1.5 %),
OOM kills (0.5 %), image pull failures (0.5 %), unschedulable pods (1 %), 3 NotReady nodes, and
Deployments below their desired availability. For each size, in the same run and against the
same API server:
  - kubectl get pods -A -o json > /dev/null
  - the digest in-process (warm client, as the running bot makes it): time, and peak heap
  - `pilothouse digest --print` as a command (start-up included): time, and peak RSS beside the
    same command on an empty namespace (so the growth is what the pods cost)
Prints median times and the ratios to kubectl.

    .venv/bin/python bench/digest_scale.py [--sizes 1000,5000,10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from read_path import timed_child  # the same launcher measures every child

from bot.digest.service import DigestMaker
from integrations.cluster.clusters import Clusters
from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig
from integrations.store.memory import MemoryStore
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request
from tests.manifests import deployment

NAMESPACES = 10
NODES = 100
NOT_READY = 3
# Out of every 200 pods: 3 crash-loop, 1 OOM-killed, 1 cannot pull its image, 2 unschedulable.
MIX = (("crash", 3), ("oom", 1), ("broken", 1), ("stuck", 2))
EVERY = 200


def kind_of(index: int) -> str:
    slot = index % EVERY
    for kind, count in MIX:
        if slot < count:
            return kind
        slot -= count
    return "ok"


def pod(index: int) -> dict[str, object]:
    kind = kind_of(index)
    image = {"crash": "acme/app:crash", "oom": "acme/app:oom", "broken": "acme/app:broken"}.get(kind, "acme/app:1.4")
    spec: dict[str, object] = {
        "containers": [{"name": "app", "image": image}, {"name": "sidecar", "image": "envoyproxy/envoy:v1.29.1"}]
    }
    if kind == "stuck":
        spec["nodeSelector"] = {"pool": "gpu"}  # no node has it
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"load-{index:05d}",
            "namespace": f"bench-{index % NAMESPACES}",
            "labels": {"app": "load", "bench": "digest", "kind": kind},
        },
        "spec": spec,
    }


def seed_cluster(cp: ControlPlane) -> None:
    api = cp.admin_api_client()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: cp.add_node(f"bench-node-{i:03d}", ready=i >= NOT_READY), range(NODES)))
    objects: list[dict[str, object]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"bench-{i}"}} for i in range(NAMESPACES)
    ]
    objects += [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "bench-empty"}}]
    # A few Deployments too: one healthy, one below its desired availability, per namespace.
    for i in range(NAMESPACES):
        objects += [deployment(f"bench-{i}", "api", 3), deployment(f"bench-{i}", "checkout", 1, "acme/checkout:crash")]
    apply_objects(api, objects)


def add_pods(cp: ControlPlane, start: int, stop: int) -> None:
    api = cp.admin_api_client()

    def create(i: int) -> None:
        body = pod(i)
        request(api, "POST", f"/api/v1/namespaces/{body['metadata']['namespace']}/pods", body)  # type: ignore[index]

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(create, range(start, stop)))


def wait_reported(cluster: KubeCluster, total: int) -> None:
    """Until every pod has a status from the node agent (Running, failing, or unschedulable)."""
    deadline = time.monotonic() + 1800
    while True:
        pods = [p for p in cluster.list_pods(None, "bench=digest") if p.conditions]
        if len(pods) >= total:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"seeding stalled at {len(pods)}/{total} reported pods")
        time.sleep(2)


def in_process(maker: DigestMaker, runs: int) -> tuple[float, float, int]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        digest = maker.make("bench", None, None, now=datetime.now(UTC))
        times.append(time.perf_counter() - start)
    tracemalloc.start()  # apart: tracing slows allocation-heavy code several-fold
    maker.make("bench", None, None, now=datetime.now(UTC))
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, len(digest.problems)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--sizes", default="1000,5000,10000")
    args.add_argument("--runs", type=int, default=3)
    options = args.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    results = []
    with ControlPlane() as cp:
        kubeconfig = str(cp.admin_kubeconfig)
        kubectl = str(cp.bin_dir / "kubectl") if (cp.bin_dir / "kubectl").exists() else shutil.which("kubectl")
        if kubectl is None:
            raise SystemExit("no kubectl found (tests/cluster/build.sh puts Debian's in the cache)")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")},
            "PILOTHOUSE_KUBECONFIG": kubeconfig,
            "KUBECONFIG": kubeconfig,
        }
        pilothouse = str(Path(sys.executable).parent / "pilothouse")
        clusters, current = clusters_from_kubeconfig(kubeconfig, timeout=120)
        cluster = next(c for c in clusters if c.name == current)
        maker = DigestMaker(Clusters(clusters, current), MemoryStore())
        print(f"seeding {NODES} nodes ({NOT_READY} NotReady) and {NAMESPACES} namespaces ...", flush=True)
        seed_cluster(cp)
        seeded = 0
        for size in sizes:
            started = time.monotonic()
            add_pods(cp, seeded, size)
            seeded = size
            wait_reported(cluster, size)
            print(f"{size} pods seeded and reported in {time.monotonic() - started:.0f} s", flush=True)
            time.sleep(3)  # let the status writes settle
            kubectl_runs = [
                timed_child([kubectl, "get", "pods", "-A", "-o", "json"], env=env) for _ in range(options.runs)
            ]
            command = [pilothouse, "digest", "--print"]
            command_runs = [timed_child(command, env=env) for _ in range(options.runs)]
            empty_runs = [timed_child([*command, "-n", "bench-empty"], env=env) for _ in range(options.runs)]
            in_time, in_peak, problems = in_process(maker, options.runs)
            results.append(
                (
                    size,
                    statistics.median(t for t, _ in kubectl_runs),
                    statistics.median(m for _, m in kubectl_runs),
                    in_time,
                    in_peak,
                    statistics.median(t for t, _ in command_runs),
                    statistics.median(m for _, m in command_runs) - statistics.median(m for _, m in empty_runs),
                    problems,
                )
            )
            report(results, options.runs)


def report(results: list[tuple[int, float, float, float, float, float, float, int]], runs: int) -> None:
    print(f"\ndigest of every namespace vs kubectl get pods -A -o json, median of {runs} runs, same API server")
    header = (
        f"{'pods':>6} {'kubectl':>8} {'digest':>8} {'ratio':>6} {'command':>8} {'ratio':>6} "
        f"{'heap peak':>10} {'RSS growth':>11} {'kubectl RSS':>12} {'problems':>9}"
    )
    print(header)
    for size, k_time, k_rss, d_time, d_heap, c_time, c_growth, problems in results:
        print(
            f"{size:>6} {k_time:>7.2f}s {d_time:>7.2f}s {d_time / k_time:>5.2f}x {c_time:>7.2f}s "
            f"{c_time / k_time:>5.2f}x {d_heap:>7.1f} MB {c_growth:>8.0f} MB {k_rss:>9.0f} MB {problems:>9}"
        )
    print("digest: in-process with a warm client; command: `pilothouse digest --print`, start-up included;")
    print("RSS growth: the command's peak RSS minus the same command on an empty namespace.", flush=True)


if __name__ == "__main__":
    main()
