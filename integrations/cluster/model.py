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
    sidecar: bool = False  # an init container with restartPolicy Always (Kubernetes 1.29+)
    requested: str = ""  # the resources in the pod's spec, e.g. "cpu 500m, memory 256Mi"
    running: str = ""  # what the kubelet reports it runs with (1.33+), when it differs from the spec


@dataclass(frozen=True, slots=True)
class EnvVar:
    """One environment variable of a container. A value from a Secret is only ever a reference
    (`source`), never read: Pilothouse shows where it comes from, not what it is."""

    container: str
    name: str
    value: str | None = None  # a literal value from the pod spec
    source: str | None = None  # "secret db-credentials, key password", "config map web, key mode"


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
    resize: str | None = None  # an in-place resize not yet done: "pending (Deferred: …)", "in progress"
    env: tuple[EnvVar, ...] = ()  # only for one pod looked at closely (describe), not in lists

    @property
    def last_termination(self) -> str | None:
        """The first container's last termination that has one, e.g. "OOMKilled (exit 137)"."""
        return next((c.last_termination for c in self.containers if c.last_termination), None)

    @property
    def problem(self) -> str | None:
        """Why this pod needs attention, or None when it is fine."""
        if self.unschedulable:
            return f"Pending: {self.unschedulable}"
        if self.phase == "Succeeded" or (self.phase == "Failed" and (self.owner or "").startswith("Job/")):
            return None  # a Job's failed pod: the Job's failure says it (findings.job_problems)
        if self.status not in ("Running", "Completed") or self.ready < self.total:
            last = self.last_termination
            suffix = f", last exit {last}" if last else ""
            return f"{self.status} ({self.restarts} restarts{suffix})"
        return None


def pod_from(obj: Json, *, env: bool = False) -> PodInfo:
    """`env`: also the containers' environment (as references where it comes from elsewhere)."""
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    statuses = {c["name"]: c for c in status.get("containerStatuses") or []}
    init_statuses = {c["name"]: c for c in status.get("initContainerStatuses") or []}
    # Sidecars first, as kubectl 1.29+ counts them in READY and RESTARTS; plain init containers not.
    sidecars = tuple(
        _container(c, init_statuses.get(c["name"]), sidecar=True)
        for c in spec.get("initContainers") or []
        if c.get("restartPolicy") == "Always"
    )
    containers = sidecars + tuple(_container(c, statuses.get(c["name"])) for c in spec.get("containers", []))
    conditions = {c["type"]: c for c in status.get("conditions") or []}
    scheduled = conditions.get("PodScheduled", {})
    unschedulable = None
    if scheduled.get("status") == "False":
        unschedulable = scheduled.get("message") or scheduled.get("reason") or "not scheduled"
    owners = meta.get("ownerReferences") or []
    return PodInfo(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        status=_pod_status(meta, spec, status, statuses, init_statuses),
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
        resize=_resize(status, conditions),
        env=tuple(v for c in spec.get("containers", []) for v in _env(c)) if env else (),
    )


def _env(container: Json) -> list[EnvVar]:
    name = container["name"]
    found = []
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix") or ""
        if ref := source.get("secretRef"):
            found.append(EnvVar(name, f"{prefix}*", source=f"every key of secret {ref.get('name', '?')}"))
        elif ref := source.get("configMapRef"):
            found.append(EnvVar(name, f"{prefix}*", source=f"every key of config map {ref.get('name', '?')}"))
    for var in container.get("env") or []:
        found.append(_env_var(name, var))
    return found


def _env_var(container: str, var: Json) -> EnvVar:
    origin = var.get("valueFrom")
    if origin is None:
        return EnvVar(container, var["name"], value=str(var.get("value", "")))
    if ref := origin.get("secretKeyRef"):
        source = f"secret {ref.get('name', '?')}, key {ref.get('key', '?')}"
    elif ref := origin.get("configMapKeyRef"):
        source = f"config map {ref.get('name', '?')}, key {ref.get('key', '?')}"
    elif ref := origin.get("fieldRef"):
        source = f"field {ref.get('fieldPath', '?')}"
    elif ref := origin.get("resourceFieldRef"):
        source = f"resource {ref.get('resource', '?')}"
    else:
        source = "elsewhere"
    return EnvVar(container, var["name"], source=source)


def _resize(status: Json, conditions: dict[str, Json]) -> str | None:
    """In-place resize not yet done: the 1.33+ conditions, else the 1.27–1.32 `status.resize` field."""
    if (pending := conditions.get("PodResizePending")) and pending.get("status") == "True":
        why = ": ".join(p for p in (pending.get("reason"), pending.get("message")) if p)
        return f"pending ({why})" if why else "pending"
    if (going := conditions.get("PodResizeInProgress")) and going.get("status") == "True":
        return "in progress" + (f" ({going['message']})" if going.get("message") else "")
    legacy = status.get("resize")
    return (
        {"Proposed": "pending (Proposed)", "InProgress": "in progress"}.get(legacy, f"pending ({legacy})")
        if legacy
        else None
    )


def resources_text(resources: Json | None) -> str:
    """`{"requests": {"cpu": "500m"}, "limits": {"memory": "1Gi"}}` → "cpu 500m, memory ≤1Gi"."""
    resources = resources or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    parts = [f"{k} {v}" for k, v in sorted(requests.items())]
    parts += [f"{k} ≤{v}" for k, v in sorted(limits.items())]
    return ", ".join(parts)


def _container(spec: Json, status: Json | None, *, sidecar: bool = False) -> ContainerInfo:
    name, image = spec["name"], spec.get("image", "")
    requested = resources_text(spec.get("resources"))
    if status is None:
        return ContainerInfo(name, image, False, 0, "waiting: ContainerCreating", None, None, sidecar, requested)
    state, waiting_message = _state(status.get("state") or {})
    last = (status.get("lastState") or {}).get("terminated")
    running = resources_text(status.get("resources")) if status.get("resources") is not None else ""
    ready = bool(status.get("ready")) and (not sidecar or bool(status.get("started")))
    return ContainerInfo(
        name=name,
        image=status.get("image") or image,
        ready=ready,
        restarts=int(status.get("restartCount", 0)),
        state=state,
        last_termination=f"{last.get('reason', 'Terminated')} (exit {last.get('exitCode')})" if last else None,
        waiting_message=waiting_message,
        sidecar=sidecar,
        requested=requested,
        running=running if running != requested else "",
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


def _pod_status(meta: Json, spec: Json, status: Json, statuses: dict[str, Json], init_statuses: dict[str, Json]) -> str:
    """kubectl's STATUS column: the most telling container reason, else the phase."""
    if meta.get("deletionTimestamp"):
        return "Terminating"
    reason: str = status.get("reason") or status.get("phase", "Unknown")
    if (initializing := _init_status(spec, init_statuses)) is not None:
        return initializing
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


def _init_status(spec: Json, init_statuses: dict[str, Json]) -> str | None:
    """`Init:1/2`, `Init:CrashLoopBackOff`… while init containers (sidecars aside) have not all finished."""
    inits = spec.get("initContainers") or []
    if not init_statuses:
        return None  # as kubectl: nothing to say until the kubelet reports them
    for i, container in enumerate(inits):
        state = (init_statuses.get(container["name"]) or {}).get("state") or {}
        status = init_statuses.get(container["name"]) or {}
        if container.get("restartPolicy") == "Always":
            if status.get("started"):
                continue
        elif (terminated := state.get("terminated")) and terminated.get("exitCode") == 0:
            continue
        if not status:
            return f"Init:{i}/{len(inits)}"
        if (terminated := state.get("terminated")) is not None:
            return f"Init:{terminated.get('reason') or 'ExitCode:' + str(terminated.get('exitCode'))}"
        waiting = state.get("waiting") or {}
        if waiting.get("reason") and waiting["reason"] != "PodInitializing":
            return f"Init:{waiting['reason']}"
        return f"Init:{i}/{len(inits)}"
    return None


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
    """A core v1 Event, or an events.k8s.io/v1 one (`regarding`, `note`, `series`, `deprecated*`)."""
    meta = obj["metadata"]
    involved = obj.get("involvedObject") or obj.get("regarding") or {}
    series = obj.get("series") or {}
    last = (
        series.get("lastObservedTime")
        or obj.get("lastTimestamp")
        or obj.get("deprecatedLastTimestamp")
        or obj.get("eventTime")
        or meta.get("creationTimestamp")
    )
    count = series.get("count") or obj.get("count") or obj.get("deprecatedCount") or 1
    return EventInfo(
        namespace=meta.get("namespace", ""),
        type=obj.get("type", "Normal"),
        reason=obj.get("reason", ""),
        kind=involved.get("kind", ""),
        name=involved.get("name", ""),
        message=(obj.get("message") or obj.get("note") or "").strip(),
        count=int(count),
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


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """A Secret as Pilothouse keeps it: its name, type and the names of its keys. The values are
    dropped the moment the API object is parsed."""

    namespace: str
    name: str
    type: str
    keys: tuple[str, ...]
    created: datetime | None


def secret_from(obj: Json) -> SecretInfo:
    meta = obj["metadata"]
    keys = {*(obj.get("data") or {}), *(obj.get("stringData") or {})}
    return SecretInfo(
        namespace=meta.get("namespace", ""),
        name=meta["name"],
        type=str(obj.get("type") or "Opaque"),
        keys=tuple(sorted(keys)),
        created=timestamp(meta.get("creationTimestamp")),
    )


@dataclass(frozen=True, slots=True)
class AccessRule:
    verbs: tuple[str, ...]
    api_groups: tuple[str, ...]
    resources: tuple[str, ...]
    resource_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessRules:
    """What an identity may do in a namespace, as a SelfSubjectRulesReview answers it."""

    identity: str
    namespace: str
    rules: tuple[AccessRule, ...]
    incomplete: bool = False
    error: str | None = None


def access_rules_from(identity: str, namespace: str, review: Json) -> AccessRules:
    status = review.get("status") or {}
    rules = tuple(
        AccessRule(
            verbs=tuple(r.get("verbs") or ()),
            api_groups=tuple(r.get("apiGroups") or ()),
            resources=tuple(r.get("resources") or ()),
            resource_names=tuple(r.get("resourceNames") or ()),
        )
        for r in status.get("resourceRules") or []
    )
    return AccessRules(
        identity, namespace, rules, bool(status.get("incomplete")), status.get("evaluationError") or None
    )
