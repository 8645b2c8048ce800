"""Benchmark of the read path: `get pods -A` and `get sts -A` on a real control plane seeded
with N pods (and a StatefulSet in each namespace).

`get` is the generic read path: discovery, then the API server's own table printing, paged.
Measured in the same run, against the same API server:
  - pilothouse, in-process: the generic read plus the rendered reply (no start-up, warm discovery)
  - pilothouse, the whole command: `pilothouse` with the line piped in (start-up and discovery included)
  - kubectl get pods -A and kubectl get sts -A (table printing too: the same work on the server),
    and kubectl get pods -A -o json > /dev/null (whole objects)
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
        objects.append(
            {
                "apiVersion": "apps/v1",
                "kind": "StatefulSet",
                "metadata": {"name": "store", "namespace": ns},
                "spec": {
                    "replicas": 2,
                    "serviceName": "store",
                    "selector": {"matchLabels": {"app": "store"}},
                    "template": {
                        "metadata": {"labels": {"app": "store", "tier": "bench-sts"}},
                        "spec": {"containers": [{"name": "db", "image": "postgres:16.3"}]},
                    },
                },
            }
        )
    apply_objects(api, objects)
    deadline = time.monotonic() + 600
    while True:
        items = request(api, "GET", "/api/v1/pods", query={"labelSelector": "tier=bench"})["items"]
        running = sum(1 for p in items if p.get("status", {}).get("phase") == "Running")
        stores = request(api, "GET", "/apis/apps/v1/statefulsets")["items"]
        if running >= per_namespace * NAMESPACES and all(s.get("status", {}).get("readyReplicas") == 2 for s in stores):
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


def in_process(kubeconfig: str, runs: int, line: str = "get pods -A") -> tuple[float, float, str]:
    """Median time of a `get` through the pipeline with a warm client, then its peak heap."""
    clusters, current = clusters_from_kubeconfig(kubeconfig, timeout=60)
    pipeline = Pipeline(
        registry=default_registry(),
        clusters=Clusters(clusters, current),
        store=MemoryStore(),
    )
    pipeline.handle(Message("bench", "bench", "clusters"))  # connect once, as a running bot would have

    def get_pods() -> str:
        # The handler reads the server's table of every pod (all pages) and renders a chat-sized table.
        return render(pipeline.handle(Message("bench", "bench", line)))

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

        def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
            return statistics.median(t for t, _ in runs), statistics.median(m for _, m in runs)

        n = options.runs
        json_runs = median([timed_child([kubectl, "get", "pods", "-A", "-o", "json"], env=env) for _ in range(n)])
        table_runs = median([timed_child([kubectl, "get", "pods", "-A"], env=env) for _ in range(n)])
        sts_runs = median([timed_child([kubectl, "get", "sts", "-A"], env=env) for _ in range(n)])
        command_runs = median([timed_child([pilothouse], "get pods -A\n", env=env) for _ in range(n)])
        sts_command_runs = median([timed_child([pilothouse], "get sts -A\n", env=env) for _ in range(n)])
        idle_time, idle_rss = median([timed_child([pilothouse], "clusters\n", env=env) for _ in range(n)])
        in_time, in_peak, last_line = in_process(kubeconfig, n)
        sts_time, sts_peak, sts_last = in_process(kubeconfig, n, "get sts -A")

    k_time, k_rss = table_runs
    print(f"\nget pods -A over {options.pods} pods, median of {n} runs (same API server, same run)")
    print(f"reply ends with: {last_line!r}")
    print(f"{'':40} {'time':>8} {'peak memory':>14} {'vs kubectl get pods -A':>24}")
    print(f"{'kubectl get pods -A (table printing)':40} {k_time:7.3f}s {k_rss:10.0f} MB RSS {'1.00x':>24}")
    j_time, j_rss = json_runs
    print(f"{'kubectl get pods -A -o json':40} {j_time:7.3f}s {j_rss:10.0f} MB RSS {j_time / k_time:23.2f}x")
    c_time, c_rss = command_runs
    print(f"{'pilothouse get pods -A (whole command)':40} {c_time:7.3f}s {c_rss:10.0f} MB RSS {c_time / k_time:23.2f}x")
    print(
        f"{'pilothouse get pods -A (in-process)':40} {in_time:7.3f}s {in_peak:7.1f} MB heap {in_time / k_time:23.2f}x"
    )
    print(
        f"pilothouse `clusters` alone (start-up, no discovery): {idle_time:.3f}s, {idle_rss:.0f} MB; "
        f"listing the pods adds {c_rss - idle_rss:.0f} MB"
    )

    s_time, s_rss = sts_runs
    print(f"\nget sts -A over {NAMESPACES} StatefulSets, median of {n} runs (same API server, same run)")
    print(f"reply ends with: {sts_last!r}")
    print(f"{'':40} {'time':>8} {'peak memory':>14} {'vs kubectl get sts -A':>24}")
    print(f"{'kubectl get sts -A':40} {s_time:7.3f}s {s_rss:10.0f} MB RSS {'1.00x':>24}")
    sc_time, sc_rss = sts_command_runs
    print(
        f"{'pilothouse get sts -A (whole command)':40} {sc_time:7.3f}s {sc_rss:10.0f} MB RSS {sc_time / s_time:23.2f}x"
    )
    print(
        f"{'pilothouse get sts -A (in-process)':40} {sts_time:7.3f}s {sts_peak:7.1f} MB heap {sts_time / s_time:23.2f}x"
    )


if __name__ == "__main__":
    main()
