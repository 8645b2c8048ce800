"""What is wrong in a cluster, from its own objects: shared by `status` and the digests.

Every figure is counted from the objects passed in; nothing is estimated. A `Problem` has a
stable `key` (what is wrong with which object) so two digests can say what is new and what
was resolved in between.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.handlers.format import age, clip
from integrations.cluster.model import DeploymentInfo, EventInfo, NodeInfo, PodInfo
from integrations.cluster.workload_model import JobInfo, WorkloadInfo

Category = Literal[
    "node-not-ready", "unavailable", "unavailable-workload", "crash-loop", "pending", "failing", "failed-job"
]
POD_PHASES = ("running", "pending", "failing", "succeeded", "failed", "unknown")


@dataclass(frozen=True, slots=True)
class Problem:
    category: Category
    kind: Literal["node", "deployment", "statefulset", "daemonset", "pod", "job"]
    namespace: str | None  # None for nodes
    name: str
    text: str

    @property
    def key(self) -> str:
        return f"{self.category}:{self.object(cluster_wide=True)}"

    def object(self, *, cluster_wide: bool) -> str:
        if self.namespace and cluster_wide:
            return f"{self.kind}/{self.namespace}/{self.name}"
        return f"{self.kind}/{self.name}"


def pod_bucket(p: PodInfo) -> str:
    """The pods line's bucket: failing pods apart from the phase they report."""
    return "failing" if p.problem and not p.unschedulable else p.phase.lower()


def pod_counts(pods: Iterable[PodInfo]) -> Counter[str]:
    return Counter(pod_bucket(p) for p in pods)


def pods_line(counts: Counter[str]) -> str:
    parts = [f"{counts[k]} {k}" for k in POD_PHASES if counts[k]]
    return ", ".join(parts) or "none"


def nodes_line(nodes: Sequence[NodeInfo]) -> str:
    ready = [n for n in nodes if n.ready == "True"]
    line = f"{len(ready)}/{len(nodes)} ready"
    down = [f"{n.name} {n.status}" for n in nodes if n.ready != "True"]
    return line + (f" ({', '.join(down)})" if down else "")


def crash_looping(p: PodInfo) -> bool:
    return p.status in ("CrashLoopBackOff", "OOMKilled") or any(
        c.state == "waiting: CrashLoopBackOff" or (c.last_termination or "").startswith("OOMKilled")
        for c in p.containers
    )


def node_problems(nodes: Iterable[NodeInfo], now: datetime) -> list[Problem]:
    found = []
    for n in nodes:
        if n.ready != "True":
            since = f" for {age(n.since, now)}" if n.since else ""
            text = f"{n.status}{since}: {n.reason or ''} {clip(n.message or '', 80)}".strip()
            found.append(Problem("node-not-ready", "node", None, n.name, text))
    return found


def deployment_problems(deployments: Iterable[DeploymentInfo]) -> list[Problem]:
    return [Problem("unavailable", "deployment", d.namespace, d.name, d.problem) for d in deployments if d.problem]


def workload_problems(workloads: Iterable[WorkloadInfo]) -> list[Problem]:
    """StatefulSets and DaemonSets below their desired availability (a DaemonSet's: per node)."""
    return [
        Problem("unavailable-workload", w.kind.lower(), w.namespace, w.name, w.problem)  # type: ignore[arg-type]
        for w in workloads
        if w.problem
    ]


def pod_problem(p: PodInfo) -> Problem | None:
    if not p.problem:
        return None
    if p.unschedulable:
        category: Category = "pending"
    elif crash_looping(p):
        category = "crash-loop"
    else:
        category = "failing"
    return Problem(category, "pod", p.namespace, p.name, clip(p.problem, 140))


def job_problems(jobs: Iterable[JobInfo]) -> list[Problem]:
    """Failed Jobs, with the Job controller's reason; a CronJob's failure no longer counts once a
    later Job of it completed."""
    jobs = list(jobs)

    def moment(j: JobInfo) -> float:
        return j.created.timestamp() if j.created else 0.0

    recovered: dict[tuple[str, str | None], float] = {}  # the newest success of each CronJob
    for j in jobs:
        if j.owner and j.complete:
            key = (j.namespace, j.owner)
            recovered[key] = max(recovered.get(key, 0.0), moment(j))
    return [
        Problem("failed-job", "job", j.namespace, j.name, clip(j.problem or "", 140))
        for j in jobs
        if j.failure and moment(j) >= recovered.get((j.namespace, j.owner), -1.0)
    ]


def problems(
    deployments: Iterable[DeploymentInfo],
    pods: Iterable[PodInfo],
    nodes: Iterable[NodeInfo],
    now: datetime,
    jobs: Iterable[JobInfo] = (),
    workloads: Iterable[WorkloadInfo] = (),
) -> list[Problem]:
    """Nodes first, then Deployments, StatefulSets and DaemonSets, then pods, then Jobs: the order
    people read them in."""
    found = node_problems(nodes, now) + deployment_problems(deployments) + workload_problems(workloads)
    found.extend(problem for p in pods if (problem := pod_problem(p)))
    return found + job_problems(jobs)


def warning_groups(events: Iterable[EventInfo]) -> list[tuple[str, str, int]]:
    """Warning events as (reason, object kind, count), most frequent first."""
    grouped: Counter[tuple[str, str]] = Counter()
    for e in events:
        if e.type == "Warning":
            grouped[(e.reason, e.kind)] += e.count
    return [(reason, kind, count) for (reason, kind), count in grouped.most_common()]
