"""Benchmark of approvals under a race: 4 Pilothouse replicas (OS processes, built as the bot
builds itself) share one real redis-server; for each of 200 requests, 50 approvers vote at the
same moment, spread over the 4 processes, where the policy needs 3 of them.

Against the real v1.20.2 control plane (tests/cluster), not the simulator: the replicas must
see one cluster, as real replicas do (each process would have a simulator of its own, and a
request planned on one would be superseded on another), and exactly one execution is then
proved by the cluster itself. Each request restarts a Deployment of its own with 0 replicas
(a new ReplicaSet revision, no pods to start), as Pilothouse's own identity with `edit` in
the namespace.

Prints executions per request, counted three ways (the audit trail's recorded intents to
change, the record's state, the Deployment's revision on the cluster): it must be exactly 1
for every request, or the script exits non-zero. Then p50/p99 from the deciding vote's store
write (the record's `approved_at`, which is also its claim: one atomic write) to the start of
execution (the moment the winning process begins the run, from which the audited run's duration
counts; target p99 <= 20 ms), and to the change's audited intent (after the policy is asked
again and the change rehearsed again against the API server). Baseline, same run: one
uncontended `Store.update` on the same redis-server, and a bare PING.

    .venv/bin/python bench/approval_race.py [--requests 200] [--votes 50] [--processes 4]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from integrations.cluster.model import REVISION
from integrations.store.port import Change
from tests.approvals.replicas import APPROVERS, Ledger, bot_rights, burst, policy_text, replica_env, replicas
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request
from tests.demo_seed import wait_for
from tests.manifests import deployment
from tests.redis_server import redis_server

NAMESPACE = "bench-approvals"
TARGET_P99_MS = 20.0


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))] if ordered else float("nan")


def deployments(cp: ControlPlane, n: int) -> None:
    api = cp.admin_api_client()
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    apply_objects(api, [namespace, *bot_rights(NAMESPACE, cp.bot_user)])
    apply_objects(api, [deployment(NAMESPACE, f"app-{i}", replicas=0) for i in range(n)])
    # A request is planned against the Deployment as it is: wait for the controller's revision 1.
    wait_for(lambda: all(r == "1" for r in revisions(cp).values()) and len(revisions(cp)) == n, "revision 1")


def revisions(cp: ControlPlane) -> dict[str, str | None]:
    found = request(cp.admin_api_client(), "GET", f"/apis/apps/v1/namespaces/{NAMESPACE}/deployments")["items"]
    return {d["metadata"]["name"]: (d["metadata"].get("annotations") or {}).get(REVISION) for d in found}


def store_baseline(ledger: Ledger, rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds of one uncontended Store.update, and of a bare PING, on the same server."""
    updates, pings = [], []
    for i in range(rounds):
        start = time.perf_counter()
        ledger.store.update("bench:baseline", lambda raw, i=i: Change(None, str(i), 60.0))
        updates.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        ledger.store.ping()
        pings.append((time.perf_counter() - start) * 1000)
    return updates, pings


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--requests", type=int, default=200)
    args.add_argument("--votes", type=int, default=50, help="concurrent votes per request (distinct approvers)")
    args.add_argument("--processes", type=int, default=4)
    args.add_argument("--count", type=int, default=3, help="approvals the policy needs")
    options = args.parse_args()
    voters = APPROVERS[: options.votes]
    with ControlPlane() as cp, redis_server() as redis_url, tempfile.TemporaryDirectory() as tmp:
        deployments(cp, options.requests)
        policy = Path(tmp) / "policy.yaml"
        policy.write_text(policy_text(count=options.count))
        env = replica_env(redis_url=redis_url, kubeconfig=cp.bot_kubeconfig, policy=policy)
        ledger = Ledger(redis_url)
        ids: list[str] = []
        started = time.monotonic()
        with replicas(options.processes, env) as bots:
            for i in range(options.requests):
                text = bots[i % len(bots)].say(f"restart app-{i} -n {NAMESPACE}")
                found = re.search(r"Approval request (A-\w{4})", text)
                if found is None:
                    raise SystemExit(f"request {i} was not made:\n{text}")
                ids.append(found[1])
                burst(bots, [(who, f"approve {found[1]}") for who in voters], lead=0.2)
        seconds = time.monotonic() - started
        updates, pings = store_baseline(ledger, 2000)

        records = [ledger.record(i) for i in ids]
        intents = Counter(r.args.get("approval") for r in ledger.audit.between(None, None) if r.phase == "intent")
        intent_records = [r for r in ledger.audit.between(None, None) if r.phase == "intent"]
        intent_at = {r.args.get("approval"): r.at for r in intent_records}
        # The run's trace starts when the winning process begins it; its intent says how long ago.
        run_started = {r.args.get("approval"): r.at - timedelta(milliseconds=r.duration_ms) for r in intent_records}

        def settled() -> bool:
            now = revisions(cp)
            return all(now.get(f"app-{i}") == "2" for i in range(options.requests))

        with contextlib.suppress(TimeoutError):  # counted below: not at revision 2 is 0 or 2+ runs
            wait_for(settled, "every Deployment at revision 2", timeout=60)
        time.sleep(1.0)  # a second run of anything would have reached the API server by now
        on_cluster = revisions(cp)

    executions = []
    for i, record in enumerate(records):
        cluster_runs = int(on_cluster.get(f"app-{i}") or "1") - 1  # new revisions since the request
        audited = intents[record.id]
        done = 1 if record.state == "done" else 0
        executions.append((audited, done, cluster_runs))
    wrong = [(ids[i], e) for i, e in enumerate(executions) if e != (1, 1, 1)]
    claimed_apart = sum(1 for r in records if r.claimed_at != r.approved_at)
    to_start = [
        max(0.0, (run_started[r.id] - r.approved_at).total_seconds() * 1000)
        for r in records
        if r.approved_at and r.id in run_started
    ]
    to_intent = [(intent_at[r.id] - r.approved_at).total_seconds() * 1000 for r in records if r.approved_at]

    print(
        f"\n{options.requests} requests, {len(voters)} concurrent votes each ({options.count} needed) over "
        f"{options.processes} processes; real redis-server, real control plane; {seconds:.1f} s"
    )
    spread = Counter(executions)
    print(
        "executions per request (audit intents, record done, cluster revisions): "
        + ", ".join(f"{k} ×{v}" for k, v in sorted(spread.items()))
    )
    print(f"claims written apart from the deciding vote: {claimed_apart} (one atomic write: 0 expected)")
    print(f"{'':46} {'p50':>8} {'p99':>8} {'max':>8}")

    def row(label: str, values: list[float]) -> None:
        print(f"{label:46} {percentile(values, 50):6.2f}ms {percentile(values, 99):6.2f}ms {max(values):6.2f}ms")

    row("deciding vote written → run started", to_start)
    row("deciding vote written → change's audited intent", to_intent)
    row("baseline: one Store.update (uncontended)", updates)
    row("baseline: one Redis PING", pings)
    ratio = percentile(to_start, 99) / percentile(updates, 99)
    print(f"ratio (p99 vote → run started / p99 Store.update): {ratio:.1f}x")
    p99 = percentile(to_start, 99)
    print(f"target: p99 vote → run started <= {TARGET_P99_MS:g} ms: {'met' if p99 <= TARGET_P99_MS else 'NOT met'}")
    if wrong:
        print(f"NOT exactly once for {len(wrong)} requests: {wrong[:10]}")
        raise SystemExit(1)
    print("exactly one execution for every request")


if __name__ == "__main__":
    main()
