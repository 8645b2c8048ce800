"""Records of what controllers run, read from API JSON: workloads (Deployments, StatefulSets,
DaemonSets, one shape for following their rollouts), Jobs, CronJobs and HPAs. Pure; used by
both `Cluster` implementations and the handlers, as `model` is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from integrations.cluster.model import Json, deployment_from, selector_string, timestamp

# --- workloads: one record for Deployments, StatefulSets and DaemonSets -------------------------


@dataclass(frozen=True, slots=True)
class WorkloadInfo:
    """What following a rollout needs, for any kind that rolls pods out.

    Counts are the kind's own: for a DaemonSet `desired` is the nodes that should run a pod.
    """

    resource: str  # "deployments", "statefulsets", "daemonsets"
    namespace: str
    name: str
    desired: int
    ready: int
    updated: int
    available: int
    total: int  # pods of every revision
    images: tuple[tuple[str, str], ...]
    selector: str
    generation: int
    observed_generation: int
    strategy: str  # RollingUpdate, Recreate, OnDelete
    partition: int = 0  # StatefulSet RollingUpdate partition: ordinals below it are not updated
    paused: bool = False
    revision: str = ""  # Deployment: the revision number; StatefulSet: the update revision
    current_revision: str = ""  # StatefulSet: the revision most pods run
    conditions: tuple[tuple[str, str, str, str], ...] = ()
    progress_deadline: int | None = None  # Deployments only
    resource_version: str = ""
    created: datetime | None = None

    @property
    def kind(self) -> str:
        return {"deployments": "Deployment", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet"}[self.resource]

    @property
    def observed(self) -> bool:
        return self.observed_generation >= self.generation and self.observed_generation > 0

    def condition(self, kind: str) -> tuple[str, str, str] | None:
        return next(((s, r, m) for t, s, r, m in self.conditions if t == kind), None)

    @property
    def problem(self) -> str | None:
        if self.available < self.desired:
            noun = "scheduled pods available" if self.resource == "daemonsets" else "available"
            return f"{self.available}/{self.desired} {noun}"
        return None


def workload_from(resource: str, obj: Json) -> WorkloadInfo:
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    template = spec.get("template", {}).get("spec", {})
    common = {
        "resource": resource,
        "namespace": meta.get("namespace", ""),
        "name": meta["name"],
        "images": tuple((c["name"], c.get("image", "")) for c in template.get("containers", [])),
        "selector": selector_string((spec.get("selector") or {}).get("matchLabels") or {}),
        "generation": int(meta.get("generation", 0)),
        "observed_generation": int(status.get("observedGeneration", 0)),
        "conditions": tuple(
            (c["type"], c.get("status", ""), c.get("reason", ""), c.get("message", ""))
            for c in status.get("conditions") or []
        ),
        "resource_version": str(meta.get("resourceVersion", "")),
        "created": timestamp(meta.get("creationTimestamp")),
    }
    if resource == "daemonsets":
        return WorkloadInfo(
            desired=int(status.get("desiredNumberScheduled", 0)),
            ready=int(status.get("numberReady", 0)),
            updated=int(status.get("updatedNumberScheduled", 0)),
            available=int(status.get("numberAvailable", 0)),
            total=int(status.get("currentNumberScheduled", 0)),
            strategy=(spec.get("updateStrategy") or {}).get("type", "RollingUpdate"),
            **common,
        )
    if resource == "statefulsets":
        strategy = spec.get("updateStrategy") or {}
        ready = int(status.get("readyReplicas", 0))
        return WorkloadInfo(
            desired=int(spec.get("replicas", 1)),
            ready=ready,
            updated=int(status.get("updatedReplicas", 0)),
            available=int(status.get("availableReplicas", ready)),  # 1.22+; before, ready is what counts
            total=int(status.get("replicas", 0)),
            strategy=strategy.get("type", "RollingUpdate"),
            partition=int((strategy.get("rollingUpdate") or {}).get("partition", 0)),
            revision=str(status.get("updateRevision", "")),
            current_revision=str(status.get("currentRevision", "")),
            **common,
        )
    deployment = deployment_from(obj)
    return WorkloadInfo(
        desired=deployment.desired,
        ready=deployment.ready,
        updated=deployment.updated,
        available=deployment.available,
        total=deployment.total,
        strategy=deployment.strategy,
        paused=deployment.paused,
        revision=str(deployment.revision or ""),
        progress_deadline=deployment.progress_deadline,
        **common,
    )


# --- Jobs, CronJobs, HorizontalPodAutoscalers ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class JobInfo:
    namespace: str
    name: str
    owner: str | None  # the CronJob it was made from
    completions: int
    succeeded: int
    failed: int
    active: int
    started: datetime | None
    finished: datetime | None
    complete: bool
    failure: str | None  # "BackoffLimitExceeded: Job has reached the specified backoff limit"
    selector: str
    created: datetime | None
    images: tuple[tuple[str, str], ...] = ()
    resource_version: str = ""
    deadline: int | None = None  # spec.activeDeadlineSeconds

    @property
    def problem(self) -> str | None:
        return f"Failed: {self.failure}" if self.failure else None


def job_from(obj: Json) -> JobInfo:
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    conditions = {c["type"]: c for c in status.get("conditions") or [] if c.get("status") == "True"}
    failed = conditions.get("Failed")
    owners = [o["name"] for o in meta.get("ownerReferences") or [] if o.get("kind") == "CronJob"]
    template = spec.get("template", {}).get("spec", {})
    return JobInfo(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        owner=owners[0] if owners else None,
        completions=int(spec.get("completions") or 1),
        succeeded=int(status.get("succeeded", 0)),
        failed=int(status.get("failed", 0)),
        active=int(status.get("active", 0)),
        started=timestamp(status.get("startTime")),
        finished=timestamp(status.get("completionTime") or (failed or {}).get("lastTransitionTime")),
        complete="Complete" in conditions,
        failure=": ".join(p for p in (failed.get("reason"), failed.get("message")) if p) or "Failed"
        if failed
        else None,
        selector=selector_string((spec.get("selector") or {}).get("matchLabels") or {}),
        created=timestamp(meta.get("creationTimestamp")),
        images=tuple((c["name"], c.get("image", "")) for c in template.get("containers", [])),
        resource_version=str(meta.get("resourceVersion", "")),
        deadline=spec.get("activeDeadlineSeconds"),
    )


@dataclass(frozen=True, slots=True)
class CronJobInfo:
    namespace: str
    name: str
    schedule: str
    suspended: bool
    active: int
    last_schedule: datetime | None
    created: datetime | None
    images: tuple[tuple[str, str], ...]
    resource_version: str


def cronjob_from(obj: Json) -> CronJobInfo:
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    template = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    return CronJobInfo(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        schedule=str(spec.get("schedule", "")),
        suspended=bool(spec.get("suspend")),
        active=len(status.get("active") or []),
        last_schedule=timestamp(status.get("lastScheduleTime")),
        created=timestamp(meta.get("creationTimestamp")),
        images=tuple((c["name"], c.get("image", "")) for c in template.get("containers", [])),
        resource_version=str(meta.get("resourceVersion", "")),
    )


@dataclass(frozen=True, slots=True)
class AutoscalerInfo:
    namespace: str
    name: str
    target_kind: str  # "Deployment"
    target_name: str
    minimum: int
    maximum: int
    current: int
    desired: int
    metrics: tuple[str, ...]  # "cpu 35%/80%", "cpu <unknown>/80%"
    conditions: tuple[tuple[str, str, str, str], ...]

    def controls(self, kind: str, name: str) -> bool:
        return self.target_kind == kind and self.target_name == name


def autoscaler_from(obj: Json) -> AutoscalerInfo:
    """autoscaling/v2 (and v2beta2, the same shape), or v1's single CPU target."""
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    target = spec.get("scaleTargetRef") or {}
    current = {_metric_name(m): m for m in status.get("currentMetrics") or []}
    metrics = [_metric_text(m, current.get(_metric_name(m))) for m in spec.get("metrics") or []]
    if "targetCPUUtilizationPercentage" in spec:  # autoscaling/v1
        now = status.get("currentCPUUtilizationPercentage")
        metrics.append(f"cpu {f'{now}%' if now is not None else '<unknown>'}/{spec['targetCPUUtilizationPercentage']}%")
    return AutoscalerInfo(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        target_kind=target.get("kind", ""),
        target_name=target.get("name", ""),
        minimum=int(spec.get("minReplicas") or 1),
        maximum=int(spec.get("maxReplicas", 0)),
        current=int(status.get("currentReplicas", 0)),
        desired=int(status.get("desiredReplicas", 0)),
        metrics=tuple(metrics),
        conditions=tuple(
            (c["type"], c.get("status", ""), c.get("reason", ""), c.get("message", ""))
            for c in status.get("conditions") or []
        ),
    )


def _metric_name(metric: Json) -> str:
    kind = metric.get("type", "")
    body = metric.get(kind[:1].lower() + kind[1:], {}) if kind else {}
    return f"{kind}:{body.get('name') or (body.get('metric') or {}).get('name', '')}"


def _metric_text(spec: Json, current: Json | None) -> str:
    kind = spec.get("type", "")
    body = spec.get(kind[:1].lower() + kind[1:], {}) if kind else {}
    name = body.get("name") or (body.get("metric") or {}).get("name", kind)
    target = body.get("target") or {}
    now_body = (current or {}).get(kind[:1].lower() + kind[1:], {}) if current else {}
    now = now_body.get("current") or {}
    if target.get("type") == "Utilization":
        value = now.get("averageUtilization")
        return f"{name} {f'{value}%' if value is not None else '<unknown>'}/{target.get('averageUtilization')}%"
    wanted = target.get("averageValue") or target.get("value")
    value = now.get("averageValue") or now.get("value")
    return f"{name} {value if value is not None else '<unknown>'}/{wanted}"
