"""Benchmark of permissions: the policy decision, and what impersonation costs a request.

1. `authorise` at 10, 100 and 1,000 bindings (a realistic mix: per-person bindings, group and
   user-group bindings, channel-restricted ones with limits, deny and approval rules), over
   requests that are allowed, refused, over a limit and cluster-wide: p50/p99/max per decision.
   Target: p99 under 100 µs at 1,000 bindings. Baseline in the same run: the front door's own
   fingerprint of one slash command payload (bot/slack/listeners.py), which every ack pays.
2. `get pods -n shop` through the pipeline on a real control plane, with and without
   impersonation, alternating, same API server, same run; the ratio, and the connection pool's
   size before and after (one shared pool: no new pool per request or per person).

    .venv/bin/python bench/policy.py [--decisions 50000] [--runs 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.access import Access, Impersonation
from bot.pipeline import Message, Pipeline
from bot.policy import Policy, Request, Subject
from bot.policy.reload import PolicyHolder
from bot.slack.listeners import fingerprint
from commands import default_registry
from integrations.cluster.clusters import Clusters
from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig
from integrations.render.text import render
from integrations.store.memory import MemoryStore
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.pods import make_pods
from tests.policies import from_yaml

REGISTRY = default_registry()


def policy_text(bindings: int) -> str:
    people = max(1, bindings * 8 // 10)
    groups = max(1, bindings // 10)
    lines = ["groups:"]
    lines += [f"  team-{g}: [U0P{g * 7:06d}, U0P{g * 7 + 1:06d}, S0G{g:06d}]" for g in range(groups)]
    lines += [
        "roles:",
        "  reader: {commands: [read], clusters: ['staging-*', 'prod-*'], cluster_wide: true}",
        "  deployer:",
        "    commands: [deploy, scale, restart, rollback]",
        "    clusters: ['staging-*']",
        "    namespaces: [shop, 'pay*']",
        "    limits: {max_replicas: 10, images: ['ghcr.io/acme/*']}",
        "  prod: {commands: [deploy, scale], clusters: ['prod-*'], namespaces: [shop], limits: {max_replicas: 20}}",
        "bindings:",
    ]
    lines += [f"  - {{name: p{i}, subjects: [U0P{i:06d}], roles: [reader]}}" for i in range(people)]
    lines += [f"  - {{name: g{g}, subjects: [team-{g}], roles: [deployer]}}" for g in range(groups)]
    rest = max(1, bindings - people - groups)
    lines += [
        f"  - {{name: c{c}, subjects: [team-{c % groups}], roles: [prod], channels: [C0DEPLOY{c:04d}]}}"
        for c in range(rest)
    ]
    lines += [
        "deny:",
        *(f"  - {{name: d{d}, namespaces: ['kube-{d}*']}}" for d in range(10)),
        "approvals:",
        "  - {name: prod-restarts, commands: [restart], clusters: ['prod-*'], approvers: [team-0]}",
        "defaults: {reads_for_everyone: false}",
    ]
    return "\n".join(lines) + "\n"


def requests(policy: Policy, count: int, seed: int = 7) -> list[tuple[Subject, Request]]:
    rng = random.Random(seed)
    people = [b.subjects[0] for b in policy.bindings if b.name.startswith("p")]
    made = []
    for _ in range(count):
        user = rng.choice(people)
        subject = Subject(user, groups=policy.groups_of(user, lambda g: rng.random() < 0.1))
        kind = rng.random()
        cluster = rng.choice(["staging-eu", "prod-eu", "dev-1"])
        channel = rng.choice(["C0OPS0001", "C0DEPLOY0001", "D0DM00001"])
        if kind < 0.5:
            request = Request("get pods", "read", channel, cluster, rng.choice(["shop", "payments", "kube-system"]))
        elif kind < 0.6:
            request = Request("get pods", "read", channel, cluster, None)  # -A
        elif kind < 0.9:
            request = Request("scale", "write", channel, cluster, "shop", replicas=rng.choice([3, 15, 50]))
        else:
            request = Request("deploy", "write", channel, cluster, "payments", image="docker.io/evil/x:1")
        made.append((subject, request))
    return made


def decisions(bindings: int, count: int) -> tuple[float, float, float, dict[str, int]]:
    policy = from_yaml(policy_text(bindings))
    assert len(policy.bindings) >= bindings
    asked = requests(policy, count)
    for subject, request in asked[:1000]:  # warm up
        policy.authorise(subject, request)
    times, outcomes = [], {}
    clock = time.perf_counter_ns
    for subject, request in asked:
        start = clock()
        decision = policy.authorise(subject, request)
        times.append(clock() - start)
        outcomes[decision.outcome] = outcomes.get(decision.outcome, 0) + 1
    times.sort()
    return times[len(times) // 2] / 1000, times[int(len(times) * 0.99)] / 1000, times[-1] / 1000, outcomes


def fingerprint_cost(count: int) -> float:
    body = {
        "team_id": "T0PILOT01",
        "channel_id": "C0OPS0001",
        "user_id": "U0ALICE01",
        "command": "/pilot",
        "text": "scale web 5 -n shop",
        "response_url": "https://hooks.slack.com/commands/T0/1/abc",
        "trigger_id": "1.2.3",
    }
    times = []
    for _ in range(count):
        start = time.perf_counter_ns()
        fingerprint(body)
        times.append(time.perf_counter_ns() - start)
    times.sort()
    return times[int(len(times) * 0.99)] / 1000


def impersonation(cp: ControlPlane, runs: int) -> None:
    api = cp.admin_api_client()
    apply_objects(api, [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}])
    make_pods(cp, "shop", 20, app="bench")
    apply_objects(  # the impersonated group may read pods in shop
        api,
        [
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": "bench-view", "namespace": "shop"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": "pilothouse:bench", "apiGroup": "rbac.authorization.k8s.io"}],
            }
        ],
    )
    clusters, _ = clusters_from_kubeconfig(str(cp.admin_kubeconfig), timeout=30)
    cluster = next(c for c in clusters if c.name == "test-admin")  # system:masters: may impersonate
    policy = from_yaml(
        "groups: {bench: [U0BENCH01]}\nroles: {r: {commands: [read]}}\n"
        "bindings: [{name: b, subjects: [bench], roles: [r]}]\n"
    )

    def pipeline(on: bool) -> Pipeline:
        members = Clusters([cluster], cluster.name)
        access = Access(PolicyHolder(lambda: policy), members, impersonation=Impersonation({cluster.name: on}))
        return Pipeline(registry=REGISTRY, clusters=members, store=MemoryStore(), access=access)

    plain, impersonated = pipeline(False), pipeline(True)
    message = Message("U0BENCH01", "C0BENCH01", "get pods -n shop")
    for p in (plain, impersonated):  # connect once, as a running bot would have
        assert "bench-" in render(p.handle(message)), render(p.handle(message))
    pool = cluster.api_client().rest_client.pool_manager

    def pools() -> tuple[int, int]:
        keys = pool.pools.keys()  # urllib3's container: keys() is its thread-safe view
        return len(keys), sum(pool.pools[key].num_connections for key in keys)

    before = pools()
    times: dict[bool, list[float]] = {False: [], True: []}
    for i in range(runs * 2):
        on = i % 2 == 1
        start = time.perf_counter()
        reply = (impersonated if on else plain).handle(message)
        times[on].append(time.perf_counter() - start)
        assert reply.ok
    after = pools()
    off_ms, on_ms = (statistics.median(times[k]) * 1000 for k in (False, True))
    p95 = {k: sorted(v)[int(len(v) * 0.95)] * 1000 for k, v in times.items()}
    identity = impersonated.access.identity(impersonated.access.subject(message), "test-admin")
    print(f"\n`get pods -n shop` (20 pods) through the pipeline, {runs} runs each, alternating, same API server")
    print(f"{'':32} {'median':>9} {'p95':>9}")
    print(f"{'as the kubeconfig user':32} {off_ms:7.2f}ms {p95[False]:7.2f}ms")
    who = f"impersonating {identity.user if identity else '?'}"
    print(f"{who:32} {on_ms:7.2f}ms {p95[True]:7.2f}ms")
    print(f"impersonation overhead ratio: {on_ms / off_ms:.2f}x (median), {p95[True] / p95[False]:.2f}x (p95)")
    print(f"connection pools: {before[0]} before, {after[0]} after; connections opened: {before[1]} → {after[1]}")
    if isinstance(cluster, KubeCluster) and after[0] != before[0]:
        raise SystemExit("a new connection pool was made while impersonating")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=200)
    options = parser.parse_args()
    reference = fingerprint_cost(options.decisions)
    print(f"policy decisions, {options.decisions} per size (same run)")
    print(f"{'bindings':>9} {'p50':>9} {'p99':>9} {'max':>10}  outcomes")
    results = {}
    for bindings in (10, 100, 1000):
        p50, p99, worst, outcomes = decisions(bindings, options.decisions)
        results[bindings] = p99
        shown = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        print(f"{bindings:>9} {p50:7.1f}µs {p99:7.1f}µs {worst:8.1f}µs  {shown}")
    verdict = "under" if results[1000] < 100 else "OVER"
    print(f"p99 at 1,000 bindings: {results[1000]:.1f} µs ({verdict} the 100 µs target)")
    print(
        f"baseline: the front door's fingerprint of one payload, p99 {reference:.1f} µs "
        f"(decision/fingerprint: {results[1000] / reference:.2f}x)"
    )
    with ControlPlane() as cp:
        impersonation(cp, options.runs)


if __name__ == "__main__":
    main()
