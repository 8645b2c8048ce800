"""Where a rollout stands, judged from its Deployment and the pods of its new ReplicaSet. Pure.

Success is what `kubectl rollout status` calls success. Failure comes sooner than kubectl
reports it: a new pod that cannot pull its image or keeps crashing will not get better by
waiting, so it fails the rollout at once; otherwise the controller's progress deadline decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from integrations.cluster.model import DeploymentInfo, PodInfo

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


def assess(deployment: DeploymentInfo, new_pods: Iterable[PodInfo]) -> RolloutState:
    """The rollout's state; `new_pods` are the pods of the Deployment's newest ReplicaSet."""
    pods = list(new_pods)
    counts = (deployment.desired, deployment.updated, deployment.ready, deployment.available, deployment.total)
    if deployment.observed_generation < deployment.generation:
        return RolloutState(*counts, phase="waiting")  # the controller has not seen the change yet
    if deployment.complete:
        return RolloutState(*counts, phase="complete")
    failures = pod_failures(pods)
    pending = tuple(f"`{p.name}`: {p.unschedulable}" for p in pods if p.unschedulable)
    progressing = deployment.condition("Progressing")
    if progressing is not None and progressing[1] == "ProgressDeadlineExceeded":
        reason = f"no progress within {deployment.progress_deadline} s (progressDeadlineSeconds)"
        return RolloutState(*counts, phase="failed", reason=reason, failures=failures, pending=pending)
    if failures:
        return RolloutState(*counts, phase="failed", reason=failures[0].describe(), failures=failures)
    return RolloutState(*counts, phase="progressing", pending=pending)
