"""Where a rollout stands, judged from its workload and its new pods. Pure.

Success is what `kubectl rollout status` calls success, for each kind: a Deployment with every
replica updated and available and no old ones left; a StatefulSet with every replica ready and
its update revision current (with a `partition`, the replicas above it updated); a DaemonSet
with a pod updated and available on every node that should run one. Failure comes sooner than
kubectl reports it: a new pod that cannot pull its image or keeps crashing will not get better
by waiting, so it fails the rollout at once; otherwise a Deployment's progress deadline decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from integrations.cluster.model import DeploymentInfo, PodInfo
from integrations.cluster.workload_model import JobInfo, WorkloadInfo

# Waiting reasons that mean the pod will not start without a change (a new image, a fix).
FATAL_WAITING = frozenset(
    {"ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff", "CreateContainerConfigError", "RunContainerError"}
)

Phase = Literal["waiting", "progressing", "complete", "failed", "lost", "unfinished"]


@dataclass(frozen=True, slots=True)
class PodFailure:
    pod: str
    container: str
    reason: str  # the waiting reason, e.g. ImagePullBackOff
    detail: str | None  # the kubelet's message, or the last termination ("OOMKilled (exit 137)")
    restarts: int

    def describe(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        restarts = f", {self.restarts} restarts" if self.restarts else ""
        return f"pod `{self.pod}` ({self.container}) {self.reason}{restarts}{detail}"


@dataclass(frozen=True, slots=True)
class RolloutState:
    desired: int
    updated: int
    ready: int
    available: int
    total: int  # pods of every revision: old ones still running count here
    phase: Phase
    reason: str | None = None  # why it failed or stopped, in words
    failures: tuple[PodFailure, ...] = ()
    pending: tuple[str, ...] = ()  # new pods the scheduler cannot place, with its message
    elapsed: float = 0.0
    target: int | None = None  # pods to update when it is not all of them (a StatefulSet partition)

    @property
    def done(self) -> bool:
        return self.phase not in ("waiting", "progressing")

    def same_as(self, other: RolloutState | None) -> bool:
        """Equal apart from the elapsed time: nothing new to show."""
        return other is not None and _key(self) == _key(other)


def _key(state: RolloutState) -> tuple[object, ...]:
    return (state.updated, state.ready, state.available, state.total, state.phase, state.failures, state.pending)


def pod_failures(pods: Iterable[PodInfo]) -> tuple[PodFailure, ...]:
    found = []
    for pod in pods:
        for c in pod.containers:
            reason = c.state.removeprefix("waiting: ") if c.state.startswith("waiting: ") else None
            if reason in FATAL_WAITING:
                detail = (
                    c.last_termination if reason == "CrashLoopBackOff" and c.last_termination else c.waiting_message
                )
                found.append(PodFailure(pod.name, c.name, reason, detail, c.restarts))
    return tuple(sorted(found, key=lambda f: (f.pod, f.container)))


def job_failures(pods: Iterable[PodInfo]) -> tuple[PodFailure, ...]:
    """Pods that cannot start (as for rollouts), and containers that ended in failure."""
    found = list(pod_failures(pods))
    for pod in pods:
        for c in pod.containers:
            if c.state.startswith("terminated: ") and not c.state.startswith("terminated: Completed"):
                reason, _, detail = c.state.removeprefix("terminated: ").partition(" ")
                found.append(PodFailure(pod.name, c.name, reason, detail.strip("()") or None, c.restarts))
    return tuple(sorted(found, key=lambda f: (f.pod, f.container)))


def assess_job(job: JobInfo, pods: Iterable[PodInfo]) -> RolloutState:
    """A Job run to its end: complete, failed (the Job controller's reason), or still running."""
    pods = list(pods)
    counts = (job.completions, job.succeeded + job.failed, job.succeeded, job.succeeded, len(pods))
    failures = job_failures(pods)
    if job.complete:
        return RolloutState(*counts, phase="complete")
    if job.failure:
        return RolloutState(*counts, phase="failed", reason=job.failure, failures=failures)
    cannot_start = pod_failures(pods)
    if cannot_start:
        return RolloutState(*counts, phase="failed", reason=cannot_start[0].describe(), failures=cannot_start)
    pending = tuple(f"`{p.name}`: {p.unschedulable}" for p in pods if p.unschedulable)
    return RolloutState(*counts, phase="progressing" if pods else "waiting", pending=pending, failures=failures)


def complete(w: WorkloadInfo) -> bool:
    """`kubectl rollout status` would say it is done."""
    if not w.observed:
        return False
    if w.resource == "statefulsets":
        if w.ready < w.desired:
            return False
        if w.partition:
            return w.updated >= w.desired - w.partition
        return w.strategy == "OnDelete" or w.revision == w.current_revision
    if w.resource == "daemonsets":
        return w.updated >= w.desired and w.available >= w.desired
    return w.updated == w.desired and w.total == w.updated and w.available >= w.updated


def assess(workload: WorkloadInfo | DeploymentInfo, new_pods: Iterable[PodInfo]) -> RolloutState:
    """The rollout's state; `new_pods` are the workload's pods of its newest revision."""
    w = workload if isinstance(workload, WorkloadInfo) else _as_workload(workload)
    pods = list(new_pods)
    target = w.desired - w.partition if w.resource == "statefulsets" and w.partition else None
    counts = (w.desired, w.updated, w.ready, w.available, w.total)
    if not w.observed:
        return RolloutState(*counts, phase="waiting", target=target)  # the controller has not seen the change yet
    if complete(w):
        return RolloutState(*counts, phase="complete", target=target)
    failures = pod_failures(pods)
    pending = tuple(f"`{p.name}`: {p.unschedulable}" for p in pods if p.unschedulable)
    progressing = w.condition("Progressing")
    if progressing is not None and progressing[1] == "ProgressDeadlineExceeded":
        reason = f"no progress within {w.progress_deadline} s (progressDeadlineSeconds)"
        return RolloutState(*counts, phase="failed", reason=reason, failures=failures, pending=pending, target=target)
    if failures:
        return RolloutState(*counts, phase="failed", reason=failures[0].describe(), failures=failures, target=target)
    return RolloutState(*counts, phase="progressing", pending=pending, target=target)


def _as_workload(d: DeploymentInfo) -> WorkloadInfo:
    return WorkloadInfo(
        resource="deployments",
        namespace=d.namespace,
        name=d.name,
        desired=d.desired,
        ready=d.ready,
        updated=d.updated,
        available=d.available,
        total=d.total,
        images=d.images,
        selector=d.selector,
        generation=d.generation,
        observed_generation=max(d.observed_generation, 1)
        if d.observed_generation >= d.generation
        else d.observed_generation,
        strategy=d.strategy,
        paused=d.paused,
        revision=str(d.revision or ""),
        conditions=d.conditions,
        progress_deadline=d.progress_deadline,
        resource_version=d.resource_version,
    )
