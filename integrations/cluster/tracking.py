"""Following a rollout as it happens: two watches (the workload, its pods), one judgement.

Each watch runs in a thread and feeds one queue; the caller's thread keeps the latest
workload (a Deployment, StatefulSet or DaemonSet) and pods, judges them (progress.assess)
and reports every change of state. A watch ends every `WATCH_SECONDS` and resumes from the
last resourceVersion, so a thread left behind by a finished rollout goes away soon after. The
workload's own status is what says "complete": it is reported as soon as its event arrives.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from commands.errors import ClusterError, NotFound
from integrations.cluster import resources
from integrations.cluster.model import PodChange, PodInfo
from integrations.cluster.port import Cancel, Cluster
from integrations.cluster.progress import RolloutState, assess, assess_job
from integrations.cluster.workload_model import JobInfo, WorkloadInfo, job_from, workload_from

log = logging.getLogger(__name__)

WATCH_SECONDS = 20.0  # one watch request; then it is resumed
RETRIES = 3  # a watch that fails this many times in a row loses the rollout
RETRY_PAUSE = 1.0
HEARTBEAT = 10.0  # report the elapsed time this often even when nothing changed
GRACE = 60.0  # follow this long past the progress deadline before giving up
NO_DEADLINE = 600.0  # StatefulSets and DaemonSets have no progress deadline: follow this long


@dataclass(frozen=True, slots=True)
class _Failed:
    error: ClusterError


@dataclass(frozen=True, slots=True)
class _Stopped:
    reason: str


class RolloutTracker:
    def __init__(self, cluster: Cluster, namespace: str, name: str, resource: str = "deployments") -> None:
        self.cluster = cluster
        self.namespace = namespace
        self.name = name
        self.resource = resource
        self._clock = time.monotonic
        self._events: queue.Queue[Any] = queue.Queue()
        self._cancel = Cancel()
        self._deployment: WorkloadInfo | JobInfo | None = None
        self._pods: dict[str, PodInfo] = {}
        self._newest: tuple[str, str] | None = None  # (the workload's revision, the pods' label value)

    def follow(self, report: Callable[[RolloutState], None]) -> RolloutState:
        """Report each new state until the rollout completes, fails, or is lost; the last one."""
        started = self._clock()
        known = resources.JOBS if self.resource == "jobs" else resources.WORKLOADS[self.resource]
        kind = resources.require(self.cluster, known)

        def watch(since: str) -> Iterator[WorkloadInfo | JobInfo]:
            for obj in self.cluster.watch_object(
                kind, self.namespace, self.name, since=since, timeout=WATCH_SECONDS, cancel=self._cancel
            ):
                yield job_from(obj) if self.resource == "jobs" else workload_from(self.resource, obj)

        self._start("deployment", watch)
        last: RolloutState | None = None
        shown_at = started
        try:
            while True:
                state = self._next_state(started, last)
                if state is None:
                    continue
                elapsed = self._clock() - started
                state = replace(state, elapsed=elapsed)
                if not state.same_as(last) or state.done or self._clock() - shown_at >= HEARTBEAT:
                    report(state)
                    shown_at = self._clock()
                last = state
                if state.done:
                    return state
        finally:
            self._cancel.cancel()  # the watches end now, their connections closed

    def stop(self, reason: str) -> None:
        """From another thread: end `follow` now, with where the rollout stood and `reason`."""
        self._events.put(_Stopped(reason))

    def _next_state(self, started: float, last: RolloutState | None) -> RolloutState | None:
        limit = self._limit()
        left = started + limit - self._clock() if limit is not None else HEARTBEAT
        try:
            event = self._events.get(timeout=max(0.0, min(HEARTBEAT, left)))
        except queue.Empty:
            if limit is not None and self._clock() - started >= limit and last is not None:
                return replace(last, phase="unfinished", reason=f"still not done after {limit:.0f} s")
            return last
        if isinstance(event, _Failed):
            base = last or RolloutState(0, 0, 0, 0, 0, "waiting")
            return replace(base, phase="lost", reason=event.error.message)
        if isinstance(event, _Stopped):
            base = last or RolloutState(0, 0, 0, 0, 0, "waiting")
            return replace(base, phase="unfinished", reason=event.reason)
        kind, value = event
        if kind == "deployment":
            self._on_deployment(value)
        else:
            self._on_pod(value)
        if self._deployment is None:
            return None
        if isinstance(self._deployment, JobInfo):
            job = self._deployment
            if (job.failure or job.complete) and not self._pods and job.selector:
                # It ended before the pods' watch told of them: read them once, to name the failing one.
                self._pods = {p.name: p for p in self.cluster.list_pods(self.namespace, job.selector)}
            return assess_job(job, self._pods.values())
        return assess(self._deployment, self._new_pods())

    def _limit(self) -> float | None:
        """How long to follow: the progress deadline, plus a grace period for the controller."""
        if self._deployment is None:
            return None
        if isinstance(self._deployment, JobInfo):
            return (self._deployment.deadline or NO_DEADLINE) + GRACE
        return (self._deployment.progress_deadline or NO_DEADLINE) + GRACE

    def _on_deployment(self, deployment: WorkloadInfo | JobInfo) -> None:
        first = self._deployment is None
        self._deployment = deployment
        if first:  # the pods' labels come from the Deployment's selector
            self._start(
                "pods",
                lambda since: self.cluster.watch_pods(
                    self.namespace, deployment.selector, since=since, timeout=WATCH_SECONDS, cancel=self._cancel
                ),
            )

    def _on_pod(self, change: PodChange) -> None:
        if change.kind == "DELETED":
            self._pods.pop(change.pod.name, None)
        else:
            self._pods[change.pod.name] = change.pod

    def _new_pods(self) -> list[PodInfo]:
        """Pods of the newest revision: only they tell whether the new revision works."""
        workload = self._deployment
        if workload is None or isinstance(workload, JobInfo):
            return []
        if self._newest is None or self._newest[0] != workload.revision or self.resource == "daemonsets":
            label = self._newest_label(workload)
            if label is None:
                return []  # not created yet: the next event will tell
            self._newest = (workload.revision, label)
        key, value = ("pod-template-hash", self._newest[1])
        if self.resource != "deployments":
            key = "controller-revision-hash"
        return [p for p in self._pods.values() if dict(p.labels).get(key) == value]

    def _newest_label(self, workload: WorkloadInfo) -> str | None:
        """The label value the newest revision's pods carry."""
        if self.resource == "statefulsets":
            return workload.revision or None  # pods carry the revision's name
        if self.resource == "daemonsets":
            kind = resources.require(self.cluster, resources.CONTROLLER_REVISIONS)
            revisions = [
                r
                for r in self.cluster.list_objects(
                    kind, self.namespace, lambda o: o, selector=workload.selector or None
                )
                if any(o.get("name") == self.name for o in r["metadata"].get("ownerReferences") or [])
            ]
            newest = max(revisions, key=lambda r: int(r.get("revision", 0)), default=None)
            return (newest["metadata"].get("labels") or {}).get("controller-revision-hash") if newest else None
        if not workload.revision:
            return None
        found = next(
            (
                rs
                for rs in self.cluster.list_replica_sets(self.namespace, workload.selector)
                if rs.owner == self.name and str(rs.revision) == workload.revision
            ),
            None,
        )
        return found.name.rsplit("-", 1)[-1] if found else None

    # --- the watch threads -------------------------------------------------------------------

    def _start(self, kind: str, watch: Callable[[str], Iterator[Any]]) -> None:
        thread = threading.Thread(
            target=self._run_watch, args=(kind, watch), name=f"watch-{kind}-{self.name}", daemon=True
        )
        thread.start()

    def _run_watch(self, kind: str, watch: Callable[[str], Iterator[Any]]) -> None:
        since, failures = "", 0
        while not self._cancel.cancelled:
            try:
                for item in watch(since):
                    failures = 0
                    since = item.resource_version  # both DeploymentInfo and PodChange carry it
                    self._events.put((kind, item))
            except NotFound as e:
                self._events.put(_Failed(e))
                return
            except ClusterError as e:
                if self._cancel.cancelled:
                    return  # the connection was closed on purpose
                failures += 1
                log.warning("watching %s of %s: %s (attempt %d)", kind, self.name, e.message, failures)
                if failures >= RETRIES:
                    self._events.put(_Failed(e))
                    return
                time.sleep(RETRY_PAUSE)
            except Exception as e:  # a bug must end the following visibly, not kill the thread silently
                log.exception("watching %s of %s failed", kind, self.name)
                failed = ClusterError(f"Pilothouse could not watch it ({type(e).__name__})", cluster=self.cluster.name)
                self._events.put(_Failed(failed))
                return
