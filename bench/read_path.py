"""Benchmark of the read path: `get pods -A` on a real control plane seeded with N pods.

Measured in the same run, against the same API server:
  - pilothouse, in-process: the `Cluster` port's list plus the rendered reply (no start-up)
  - pilothouse, the whole command: `pilothouse` with the line piped in (start-up included)
  - kubectl get pods -A -o json > /dev/null
Prints median wall time and peak memory of each, and the ratios to kubectl.

    .venv/bin/python bench/read_path.py [--pods 2000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.pipeline import Message, Pipeline
from commands import default_registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.kube import clusters_from_kubeconfig
from integrations.render.text import render
from integrations.store.memory import MemoryStore
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request

NAMESPACES = 10


def seed(cp: ControlPlane, pods: int) -> None:
    api = cp.admin_api_client()
    per_namespace = pods // NAMESPACES
    objects = []
    for i in range(NAMESPACES):
        ns = f"bench-{i}"
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "metadata": {"name": "load", "namespace": ns},
                "spec": {
                    "replicas": per_namespace,
                    "selector": {"matchLabels": {"app": "load"}},
                    "template": {
                        "metadata": {"labels": {"app": "load", "tier": "bench"}},
                        "spec": {
                            "containers": [
                                {"name": "app", "image": "nginx:1.25.3"},
                                {"name": "sidecar", "image": "envoyproxy/envoy:v1.29.1"},
                            ]
                        },
                    },
                },
            }
        )
    apply_objects(api, objects)
    deadline = time.monotonic() + 600
    while True:
        items = request(api, "GET", "/api/v1/pods", query={"labelSelector": "tier=bench"})["items"]
        running = sum(1 for p in items if p.get("status", {}).get("phase") == "Running")
        if running >= per_namespace * NAMESPACES:
            return
        if time.monotonic() > deadline:
            raise SystemExit(f"seeding stalled at {running} running pods")
        time.sleep(1)


# A small launcher measures the child: wait4 on a child forked from this (large) process would
# report this process's RSS, since the high-water mark survives fork and exec.
_LAUNCHER = """
import resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdin=sys.stdin, stdout=subprocess.DEVNULL)
elapsed = time.perf_counter() - start
print(elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, done.returncode)
"""


def timed_child(argv: list[str], stdin: str = "", env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one run of a command."""
    result = subprocess.run(
        [sys.executable, "-c", _LAUNCHER, *argv], input=stdin, capture_output=True, text=True, env=env, check=True
    )
    elapsed, peak, code = result.stdout.split()
    if code != "0":
        raise SystemExit(f"{argv[0]} failed: {result.stderr}")
    return float(elapsed), float(peak)


def in_process(kubeconfig: str, runs: int) -> tuple[float, float, str]:
    """Median time of `get pods -A` through the pipeline with a warm client, then its peak heap."""
    clusters, current = clusters_from_kubeconfig(kubeconfig, timeout=60)
    pipeline = Pipeline(
        registry=default_registry(),
        clusters=Clusters(clusters, current),
        store=MemoryStore(),
    )
    pipeline.handle(Message("bench", "bench", "clusters"))  # connect once, as a running bot would have

    def get_pods() -> str:
        # The handler lists every pod (all pages) and renders a chat-sized table.
        return render(pipeline.handle(Message("bench", "bench", "get pods -A")))

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        text = get_pods()
        times.append(time.perf_counter() - start)
    tracemalloc.start()  # measured apart: tracing slows allocation-heavy code several-fold
    get_pods()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return statistics.median(times), peak, text.splitlines()[-1]


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--pods", type=int, default=2000)
    args.add_argument("--runs", type=int, default=5)
    options = args.parse_args()
    with ControlPlane() as cp:
        print(f"seeding {options.pods} pods (2 containers each) in {NAMESPACES} namespaces ...", flush=True)
        seed(cp, options.pods)
        kubeconfig = str(cp.admin_kubeconfig)
        kubectl = str(cp.bin_dir / "kubectl") if (cp.bin_dir / "kubectl").exists() else shutil.which("kubectl")
        if kubectl is None:
            raise SystemExit("no kubectl found (tests/cluster/build.sh puts Debian's in the cache)")
        env = {**os.environ, "PILOTHOUSE_KUBECONFIG": kubeconfig, "KUBECONFIG": kubeconfig}
        pilothouse = str(Path(sys.executable).parent / "pilothouse")

        kubectl_runs = [timed_child([kubectl, "get", "pods", "-A", "-o", "json"], env=env) for _ in range(options.runs)]
        command_runs = [timed_child([pilothouse], "get pods -A\n", env=env) for _ in range(options.runs)]
        idle_runs = [timed_child([pilothouse], "clusters\n", env=env) for _ in range(options.runs)]
        in_time, in_peak, last_line = in_process(kubeconfig, options.runs)

    k_time = statistics.median(t for t, _ in kubectl_runs)
    k_rss = statistics.median(m for _, m in kubectl_runs)
    c_time = statistics.median(t for t, _ in command_runs)
    c_rss = statistics.median(m for _, m in command_runs)
    idle_rss = statistics.median(m for _, m in idle_runs)
    print(f"\nget pods -A over {options.pods} pods, median of {options.runs} runs (same API server, same run)")
    print(f"reply ends with: {last_line!r}")
    print(f"{'':38} {'time':>8} {'peak memory':>14} {'time vs kubectl':>16}")
    print(f"{'kubectl get pods -A -o json':38} {k_time:7.2f}s {k_rss:10.0f} MB RSS {'1.00x':>16}")
    print(f"{'pilothouse (whole command, piped)':38} {c_time:7.2f}s {c_rss:10.0f} MB RSS {c_time / k_time:15.2f}x")
    print(
        f"{'pilothouse (in-process, warm client)':38} {in_time:7.2f}s {in_peak:7.1f} MB heap {in_time / k_time:15.2f}x"
    )
    print(f"pilothouse RSS for `clusters` alone: {idle_rss:.0f} MB; listing the pods adds {c_rss - idle_rss:.0f} MB")


if __name__ == "__main__":
    main()
