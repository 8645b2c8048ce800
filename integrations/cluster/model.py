"""What Pilothouse knows about cluster objects, and how it is read from API JSON.

Both `Cluster` implementations parse Kubernetes JSON with the functions here, so the real
cluster and the simulated one can only differ in the objects they hold, never in how they
read them. Only the fields the commands need are kept: a pod here is a few hundred bytes,
not the 3 KB dict it came from (10k pods stay well under 100 MB).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from commands.limits import LOG_BYTES, LOG_LINE_CHARS

Json = dict[str, Any]

REVISION = "deployment.kubernetes.io/revision"
CHANGE_CAUSE = "kubernetes.io/change-cause"


def timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    name: str
    image: str
    ready: bool
    restarts: int
    state: str  # "running", "waiting: CrashLoopBackOff", "terminated: Completed (exit 0)"
    last_termination: str | None  # "Error (exit 1)", "OOMKilled (exit 137)"
    waiting_message: str | None = None


@dataclass(frozen=True, slots=True)
class PodInfo:
    namespace: str
    name: str
    status: str  # kubectl's STATUS column
    phase: str
    ready: int
    total: int
    restarts: int
    node: str | None
    ip: str | None
    created: datetime | None
    labels: tuple[tuple[str, str], ...]
    owner: str | None  # "ReplicaSet/web-5d9c7b6f4"
    containers: tuple[ContainerInfo, ...]
    unschedulable: str | None  # the scheduler's message when PodScheduled=False
    conditions: tuple[tuple[str, str], ...]

    @property
    def last_termination(self) -> str | None:
        """The first container's last termination that has one, e.g. "OOMKilled (exit 137)"."""
        return next((c.last_termination for c in self.containers if c.last_termination), None)

    @property
    def problem(self) -> str | None:
        """Why this pod needs attention, or None when it is fine."""
        if self.unschedulable:
            return f"Pending: {self.unschedulable}"
        if self.phase == "Succeeded":
            return None
        if self.status not in ("Running", "Completed") or self.ready < self.total:
            last = self.last_termination
            suffix = f", last exit {last}" if last else ""
            return f"{self.status} ({self.restarts} restarts{suffix})"
        return None


def pod_from(obj: Json) -> PodInfo:
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    statuses = {c["name"]: c for c in status.get("containerStatuses") or []}
    containers = tuple(
        _container(c["name"], c.get("image", ""), statuses.get(c["name"])) for c in spec.get("containers", [])
    )
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    scheduled = conditions.get("PodScheduled", {})
    unschedulable = None
    if scheduled.get("status") == "False":
        unschedulable = scheduled.get("message") or scheduled.get("reason") or "not scheduled"
    owners = meta.get("ownerReferences") or []
    return PodInfo(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        status=_pod_status(meta, status, statuses),
        phase=status.get("phase", "Unknown"),
        ready=sum(1 for c in containers if c.ready),
        total=len(containers),
        restarts=sum(c.restarts for c in containers),
        node=spec.get("nodeName"),
        ip=status.get("podIP"),
        created=timestamp(meta.get("creationTimestamp")),
        labels=tuple(sorted((meta.get("labels") or {}).items())),
        owner=f"{owners[0]['kind']}/{owners[0]['name']}" if owners else None,
        containers=containers,
        unschedulable=unschedulable,
        conditions=tuple((t, c.get("status", "")) for t, c in conditions.items()),
    )


def _container(name: str, image: str, status: Json | None) -> ContainerInfo:
    if status is None:
        return ContainerInfo(name, image, False, 0, "waiting: ContainerCreating", None)
    state, waiting_message = _state(status.get("state") or {})
    last = (status.get("lastState") or {}).get("terminated")
    return ContainerInfo(
        name=name,
        image=status.get("image") or image,
        ready=bool(status.get("ready")),
        restarts=int(status.get("restartCount", 0)),
        state=state,
        last_termination=f"{last.get('reason', 'Terminated')} (exit {last.get('exitCode')})" if last else None,
        waiting_message=waiting_message,
    )


def _state(state: Json) -> tuple[str, str | None]:
    if "running" in state:
        return "running", None
    if waiting := state.get("waiting"):
        return f"waiting: {waiting.get('reason', 'Waiting')}", waiting.get("message")
    if terminated := state.get("terminated"):
        reason = terminated.get("reason", "Terminated")
        return f"terminated: {reason} (exit {terminated.get('exitCode')})", None
    return "waiting: ContainerCreating", None


def _pod_status(meta: Json, status: Json, statuses: dict[str, Json]) -> str:
    """kubectl's STATUS column: the most telling container reason, else the phase."""
    if meta.get("deletionTimestamp"):
        return "Terminating"
    reason: str = status.get("reason") or status.get("phase", "Unknown")
    running = False
    for c in reversed(list(statuses.values())):
        state = c.get("state") or {}
        if (waiting := state.get("waiting")) and waiting.get("reason"):
            reason = waiting["reason"]
        elif (terminated := state.get("terminated")) and terminated.get("reason"):
            reason = terminated["reason"]
        elif terminated:
            reason = f"ExitCode:{terminated.get('exitCode')}"
        elif "running" in state and c.get("ready"):
            running = True
    if reason == "Completed" and running:
        reason = "Running"
    return reason


@dataclass(frozen=True, slots=True)
class DeploymentInfo:
    namespace: str
    name: str
    desired: int
    ready: int
    updated: int
    available: int
    images: tuple[tuple[str, str], ...]  # (container, image)
    created: datetime | None
    revision: int | None
    paused: bool
    strategy: str
    selector: str  # as a label selector string: "app=web,tier=front"
    conditions: tuple[tuple[str, str, str, str], ...]  # type, status, reason, message
    rolled_out: bool  # the controller has seen the latest spec and all replicas are updated
    # For following a rollout: which spec the controller has seen, and pods of any revision.
    generation: int = 0
    observed_generation: int = 0
    total: int = 0  # status.replicas: pods of every revision, old ones included
    progress_deadline: int = 600  # spec.progressDeadlineSeconds
    resource_version: str = ""

    @property
    def complete(self) -> bool:
        """`kubectl rollout status` says "successfully rolled out": the latest spec seen, every
        replica updated, no old ones left, and all of them available."""
        return self.rolled_out and self.available >= self.updated

    def condition(self, kind: str) -> tuple[str, str, str] | None:
        """(status, reason, message) of a status condition, e.g. "Progressing"."""
        return next(((s, r, m) for t, s, r, m in self.conditions if t == kind), None)

    @property
    def problem(self) -> str | None:
        if self.available < self.desired:
            return f"{self.available}/{self.desired} available"
        return None


def deployment_from(obj: Json) -> DeploymentInfo:
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    desired = int(spec.get("replicas", 1))
    updated = int(status.get("updatedReplicas", 0))
    template = spec.get("template", {}).get("spec", {})
    revision = (meta.get("annotations") or {}).get(REVISION)
    return DeploymentInfo(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        desired=desired,
        ready=int(status.get("readyReplicas", 0)),
        updated=updated,
        available=int(status.get("availableReplicas", 0)),
        images=tuple((c["name"], c.get("image", "")) for c in template.get("containers", [])),
        created=timestamp(meta.get("creationTimestamp")),
        revision=int(revision) if revision else None,
        paused=bool(spec.get("paused")),
        strategy=(spec.get("strategy") or {}).get("type", "RollingUpdate"),
        selector=selector_string((spec.get("selector") or {}).get("matchLabels") or {}),
        conditions=tuple(
            (c["type"], c.get("status", ""), c.get("reason", ""), c.get("message", ""))
            for c in status.get("conditions") or []
        ),
        rolled_out=int(status.get("observedGeneration", 0)) >= int(meta.get("generation", 0))
        and updated == desired
        and int(status.get("replicas", 0)) == updated,
        generation=int(meta.get("generation", 0)),
        observed_generation=int(status.get("observedGeneration", 0)),
        total=int(status.get("replicas", 0)),
        progress_deadline=int(spec.get("progressDeadlineSeconds", 600)),
        resource_version=str(meta.get("resourceVersion", "")),
    )


def selector_string(labels: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


@dataclass(frozen=True, slots=True)
class PodChange:
    """One event of a pod watch."""

    kind: str  # ADDED, MODIFIED or DELETED
    pod: PodInfo
    resource_version: str  # where a resumed watch starts


@dataclass(frozen=True, slots=True)
class ReplicaSetInfo:
    namespace: str
    name: str
    owner: str | None  # the owning Deployment's name
    revision: int | None
    images: tuple[tuple[str, str], ...]
    change_cause: str | None
    replicas: int
    created: datetime | None


def replica_set_from(obj: Json) -> ReplicaSetInfo:
    meta, spec = obj["metadata"], obj.get("spec", {})
    annotations = meta.get("annotations") or {}
    owners = [o for o in meta.get("ownerReferences") or [] if o.get("kind") == "Deployment"]
    template = spec.get("template", {}).get("spec", {})
    revision = annotations.get(REVISION)
    return ReplicaSetInfo(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        owner=owners[0]["name"] if owners else None,
        revision=int(revision) if revision else None,
        images=tuple((c["name"], c.get("image", "")) for c in template.get("containers", [])),
        change_cause=annotations.get(CHANGE_CAUSE),
        replicas=int(spec.get("replicas", 0)),
        created=timestamp(meta.get("creationTimestamp")),
    )


@dataclass(frozen=True, slots=True)
class NodeInfo:
    name: str
    ready: str  # "True", "False" or "Unknown", as the Ready condition says
    reason: str | None
    message: str | None
    since: datetime | None
    roles: tuple[str, ...]
    version: str
    created: datetime | None
    unschedulable: bool

    @property
    def status(self) -> str:
        text = {"True": "Ready", "False": "NotReady"}.get(self.ready, "Unknown")
        return f"{text},SchedulingDisabled" if self.unschedulable else text


def node_from(obj: Json) -> NodeInfo:
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    ready: Json = next((c for c in status.get("conditions") or [] if c["type"] == "Ready"), {})
    roles = tuple(
        sorted(k.split("/", 1)[1] for k in meta.get("labels") or {} if k.startswith("node-role.kubernetes.io/"))
    )
    return NodeInfo(
        name=meta["name"],
        ready=ready.get("status", "Unknown"),
        reason=ready.get("reason"),
        message=ready.get("message"),
        since=timestamp(ready.get("lastTransitionTime")),
        roles=roles,
        version=(status.get("nodeInfo") or {}).get("kubeletVersion", ""),
        created=timestamp(meta.get("creationTimestamp")),
        unschedulable=bool(spec.get("unschedulable")),
    )


@dataclass(frozen=True, slots=True)
class EventInfo:
    namespace: str
    type: str
    reason: str
    kind: str
    name: str
    message: str
    count: int
    last_seen: datetime | None


def event_from(obj: Json) -> EventInfo:
    meta, involved = obj["metadata"], obj.get("involvedObject", {})
    last = obj.get("lastTimestamp") or obj.get("eventTime") or meta.get("creationTimestamp")
    return EventInfo(
        namespace=meta.get("namespace", ""),
        type=obj.get("type", "Normal"),
        reason=obj.get("reason", ""),
        kind=involved.get("kind", ""),
        name=involved.get("name", ""),
        message=(obj.get("message") or "").strip(),
        count=int(obj.get("count") or 1),
        last_seen=timestamp(last),
    )


@dataclass(frozen=True, slots=True)
class NamespaceInfo:
    name: str
    phase: str
    created: datetime | None


def namespace_from(obj: Json) -> NamespaceInfo:
    meta = obj["metadata"]
    return NamespaceInfo(
        meta["name"], obj.get("status", {}).get("phase", "Active"), timestamp(meta.get("creationTimestamp"))
    )


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    name: str
    reachable: bool
    version: str | None
    default_namespace: str
    server: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LogText:
    """What a container wrote, bounded: at most LOG_BYTES read, each line at most LOG_LINE_CHARS."""

    lines: tuple[str, ...]
    cut_lines: int = 0  # lines that were longer and were cut
    truncated: bool = False  # the byte limit ended the answer: more lines were asked for than came

    def __len__(self) -> int:
        return len(self.lines)


def log_text(data: bytes, *, limit: int = LOG_BYTES, line_chars: int = LOG_LINE_CHARS) -> LogText:
    """A log answer as we show it: `data` beyond `limit` bytes is dropped (the API server stops
    there too, given `limitBytes`), and overlong lines are cut, saying by how much."""
    truncated = len(data) > limit
    lines, cut = [], 0
    for line in data[:limit].decode("utf-8", "replace").splitlines():
        if len(line) > line_chars:
            line, cut = f"{line[:line_chars]} … ({len(line) - line_chars:,} more characters)", cut + 1
        lines.append(line)
    return LogText(tuple(lines), cut, truncated)
