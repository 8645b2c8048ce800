"""Facts from the cluster → a `Digest`. `collect` reads the cluster; `build` is pure."""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from bot.digest.model import Approvals, Digest, PilothouseChange, Scope, Seen, seen
from bot.handlers.findings import POD_PHASES, crash_looping, pod_counts, problems, warning_groups
from bot.handlers.lookup import list_jobs, list_workloads
from integrations.cluster.model import DeploymentInfo, EventInfo, NodeInfo, PodInfo
from integrations.cluster.port import Cluster
from integrations.cluster.workload_model import JobInfo, WorkloadInfo

TOP_RESTARTERS = 5


@dataclass(frozen=True, slots=True)
class Facts:
    deployments: list[DeploymentInfo]
    pods: list[PodInfo]
    nodes: list[NodeInfo]
    events: list[EventInfo]
    jobs: list[JobInfo] = dataclasses.field(default_factory=list)
    workloads: list[WorkloadInfo] = dataclasses.field(default_factory=list)  # StatefulSets, DaemonSets


def collect(cluster: Cluster, namespace: str | None) -> Facts:
    """The lists, the small ones read while the pods (by far the largest) are."""
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="digest-read") as pool:
        deployments = pool.submit(cluster.list_deployments, namespace)
        nodes = pool.submit(cluster.list_nodes)
        events = pool.submit(cluster.list_events, namespace)
        jobs = pool.submit(list_jobs, cluster, namespace)
        workloads = pool.submit(list_workloads, cluster, namespace)
        pods = cluster.list_pods(namespace)
        return Facts(deployments.result(), pods, nodes.result(), events.result(), jobs.result(), workloads.result())


def build(
    scope: Scope,
    facts: Facts,
    *,
    now: datetime,
    since: datetime,
    previous: dict[str, Seen] | None,
    changes: list[PilothouseChange],
    approvals: Approvals | None = None,
    late: str | None = None,
) -> Digest:
    cluster_wide = scope.namespace is None
    found = problems(facts.deployments, facts.pods, facts.nodes, now, facts.jobs, facts.workloads)
    counts = pod_counts(facts.pods)
    current = seen(found, cluster_wide=cluster_wide)
    before = previous or {}
    restarters = sorted((p for p in facts.pods if p.restarts), key=lambda p: (-p.restarts, p.namespace, p.name))

    def pod_name(p: PodInfo) -> str:
        return f"{p.namespace}/{p.name}" if cluster_wide else p.name

    recent = [e for e in facts.events if e.last_seen is None or e.last_seen >= since]
    return Digest(
        scope=scope,
        at=now,
        since=since,
        first=previous is None,
        nodes_ready=sum(1 for n in facts.nodes if n.ready == "True"),
        nodes_total=len(facts.nodes),
        pods=tuple((k, counts[k]) for k in POD_PHASES if counts[k]),
        deployments_available=sum(1 for d in facts.deployments if not d.problem),
        deployments_total=len(facts.deployments),
        problems=tuple(found),
        crashing=tuple((pod_name(p), p.restarts, p.last_termination or "-") for p in facts.pods if crash_looping(p)),
        top_restarters=tuple((pod_name(p), p.restarts, p.status) for p in restarters[:TOP_RESTARTERS]),
        warnings=tuple(warning_groups(recent)),
        changes=tuple(sorted(changes, key=lambda c: c.at)),
        approvals=approvals or Approvals(),
        new=tuple(seen for key, seen in current.items() if key not in before) if previous is not None else (),
        resolved=tuple(seen for key, seen in before.items() if key not in current),
        late=late,
    )
