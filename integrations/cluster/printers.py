"""The simulated cluster's table printing: the columns a v1.20 API server prints for each kind
(`pkg/printers/internalversion`), and CRDs' additionalPrinterColumns through a small JSONPath.
The contract tests hold these to the real server's tables. Pure."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from integrations.cluster.model import Json, pod_from, selector_string, timestamp
from integrations.cluster.tables import Column, Row, ServerTable, default_table

Printer = Callable[[Json, datetime], tuple[Any, ...]]


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery's duration.HumanDuration, as every AGE column shows it."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def since(value: str | None, now: datetime) -> str:
    moment = timestamp(value)
    return "<unknown>" if moment is None else human_duration((now - moment).total_seconds())


def _age(obj: Json, now: datetime) -> str:
    return since(obj["metadata"].get("creationTimestamp"), now)


def _containers(spec: Json) -> tuple[str, str]:
    containers = spec.get("containers") or []
    return ",".join(c["name"] for c in containers), ",".join(c.get("image", "") for c in containers)


def _selector(spec: Json) -> str:
    return selector_string((spec.get("selector") or {}).get("matchLabels") or {}) or "<none>"


def _pod(obj: Json, now: datetime) -> tuple[Any, ...]:
    p = pod_from(obj)
    return (p.name, f"{p.ready}/{p.total}", p.status, p.restarts, _age(obj, now), p.ip or "<none>",
            p.node or "<none>", "<none>", "<none>")  # fmt: skip


def _deployment(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec, status = obj["spec"], obj.get("status", {})
    names, images = _containers(spec["template"]["spec"])
    ready = f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}"
    return (obj["metadata"]["name"], ready, status.get("updatedReplicas", 0), status.get("availableReplicas", 0),
            _age(obj, now), names, images, _selector(spec))  # fmt: skip


def _replica_set(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec, status = obj["spec"], obj.get("status", {})
    names, images = _containers(spec["template"]["spec"])
    return (obj["metadata"]["name"], spec.get("replicas", 0), status.get("replicas", 0),
            status.get("readyReplicas", 0), _age(obj, now), names, images, _selector(spec))  # fmt: skip


def _stateful_set(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec, status = obj["spec"], obj.get("status", {})
    names, images = _containers(spec["template"]["spec"])
    return (obj["metadata"]["name"], f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 1)}", _age(obj, now),
            names, images)  # fmt: skip


def _daemon_set(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec, status = obj["spec"], obj.get("status", {})
    names, images = _containers(spec["template"]["spec"])
    node_selector = ",".join(
        f"{k}={v}" for k, v in sorted((spec["template"]["spec"].get("nodeSelector") or {}).items())
    )
    return (obj["metadata"]["name"], status.get("desiredNumberScheduled", 0), status.get("currentNumberScheduled", 0),
            status.get("numberReady", 0), status.get("updatedNumberScheduled", 0), status.get("numberAvailable", 0),
            node_selector or "<none>", _age(obj, now), names, images, _selector(spec))  # fmt: skip


def _job(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec, status = obj["spec"], obj.get("status", {})
    names, images = _containers(spec["template"]["spec"])
    started, finished = timestamp(status.get("startTime")), timestamp(status.get("completionTime"))
    duration = ""
    if started is not None:
        duration = human_duration(((finished or now) - started).total_seconds())
    completions = f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}"
    return (obj["metadata"]["name"], completions, duration, _age(obj, now), names, images, _selector(spec))


def _cron_job(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec, status = obj["spec"], obj.get("status", {})
    names, images = _containers(spec["jobTemplate"]["spec"]["template"]["spec"])
    last = status.get("lastScheduleTime")
    return (obj["metadata"]["name"], spec.get("schedule", ""), str(bool(spec.get("suspend"))),
            len(status.get("active") or []), since(last, now) if last else "<none>", _age(obj, now), names, images,
            _selector(spec["jobTemplate"]["spec"]))  # fmt: skip


def _autoscaler(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec, status = obj["spec"], obj.get("status", {})
    ref = spec.get("scaleTargetRef") or {}
    targets = []
    current = {(m.get("resource") or {}).get("name"): m for m in status.get("currentMetrics") or []}
    for metric in spec.get("metrics") or []:
        resource = metric.get("resource") or {}
        target = resource.get("target") or {}
        now_value = ((current.get(resource.get("name")) or {}).get("resource") or {}).get("current") or {}
        if target.get("type") == "Utilization":
            value = now_value.get("averageUtilization")
            targets.append(f"{f'{value}%' if value is not None else '<unknown>'}/{target.get('averageUtilization')}%")
    if "targetCPUUtilizationPercentage" in spec:
        value = status.get("currentCPUUtilizationPercentage")
        targets.append(f"{f'{value}%' if value is not None else '<unknown>'}/{spec['targetCPUUtilizationPercentage']}%")
    return (obj["metadata"]["name"], f"{ref.get('kind')}/{ref.get('name')}", ", ".join(targets) or "<none>",
            str(spec.get("minReplicas", 1)), spec.get("maxReplicas", 0), status.get("currentReplicas", 0),
            _age(obj, now))  # fmt: skip


def _service(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec = obj["spec"]
    ports = ",".join(
        f"{p['port']}" + (f":{p['nodePort']}" if p.get("nodePort") else "") + f"/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports") or []
    )
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    return (obj["metadata"]["name"], spec.get("type", "ClusterIP"), spec.get("clusterIP", "<none>"),
            ",".join(spec.get("externalIPs") or []) or "<none>", ports or "<none>", _age(obj, now),
            selector or "<none>")  # fmt: skip


def _ingress(obj: Json, now: datetime) -> tuple[Any, ...]:
    spec, status = obj["spec"], obj.get("status", {})
    hosts = ",".join(r["host"] for r in spec.get("rules") or [] if r.get("host")) or "*"
    addresses = ",".join(
        i.get("ip") or i.get("hostname", "") for i in (status.get("loadBalancer") or {}).get("ingress") or []
    )
    ports = "80, 443" if spec.get("tls") else "80"
    return (obj["metadata"]["name"], spec.get("ingressClassName") or "<none>", hosts, addresses, ports, _age(obj, now))


def _node(obj: Json, now: datetime) -> tuple[Any, ...]:
    meta, spec, status = obj["metadata"], obj.get("spec", {}), obj.get("status", {})
    ready: Json = next((c for c in status.get("conditions") or [] if c["type"] == "Ready"), {})
    text = {"True": "Ready", "False": "NotReady"}.get(ready.get("status", ""), "Unknown")
    if spec.get("unschedulable"):
        text += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in meta.get("labels") or {} if k.startswith("node-role.kubernetes.io/"))
    info = status.get("nodeInfo") or {}
    addresses = {a["type"]: a["address"] for a in status.get("addresses") or []}
    return (meta["name"], text, ",".join(roles) or "<none>", _age(obj, now), info.get("kubeletVersion", ""),
            addresses.get("InternalIP", "<none>"), addresses.get("ExternalIP", "<none>"), info.get("osImage", ""),
            info.get("kernelVersion", ""), info.get("containerRuntimeVersion", ""))  # fmt: skip


def _namespace(obj: Json, now: datetime) -> tuple[Any, ...]:
    return (obj["metadata"]["name"], obj.get("status", {}).get("phase", "Active"), _age(obj, now))


def _event(obj: Json, now: datetime) -> tuple[Any, ...]:
    involved = obj.get("involvedObject") or {}
    source = obj.get("source") or {}
    last = obj.get("lastTimestamp") or obj.get("eventTime") or obj["metadata"].get("creationTimestamp")
    first = obj.get("firstTimestamp") or last
    return (since(last, now), obj.get("type", ""), obj.get("reason", ""),
            f"{involved.get('kind', '').lower()}/{involved.get('name', '')}", involved.get("fieldPath", ""),
            ", ".join(p for p in (source.get("component"), source.get("host")) if p), obj.get("message", ""),
            since(first, now), obj.get("count", 1), obj["metadata"]["name"])  # fmt: skip


def _config_map(obj: Json, now: datetime) -> tuple[Any, ...]:
    return (obj["metadata"]["name"], len(obj.get("data") or {}) + len(obj.get("binaryData") or {}), _age(obj, now))


def _secret(obj: Json, now: datetime) -> tuple[Any, ...]:
    return (obj["metadata"]["name"], obj.get("type", "Opaque"), len(obj.get("data") or {}), _age(obj, now))


def _service_account(obj: Json, now: datetime) -> tuple[Any, ...]:
    return (obj["metadata"]["name"], len(obj.get("secrets") or []), _age(obj, now))


def _controller_revision(obj: Json, now: datetime) -> tuple[Any, ...]:
    owner = next((o for o in obj["metadata"].get("ownerReferences") or [] if o.get("controller")), None)
    controller = "<none>"
    if owner is not None:
        group = owner.get("apiVersion", "").rpartition("/")[0]
        controller = (
            f"{owner['kind'].lower()}.{group}/{owner['name']}" if group else f"{owner['kind'].lower()}/{owner['name']}"
        )
    return (obj["metadata"]["name"], controller, obj.get("revision", 0), _age(obj, now))


def _columns(*spec: tuple[str, str, int]) -> tuple[Column, ...]:
    # The server marks the object's name column with format "name" (events' Name is the last column).
    return tuple(Column(name, kind, priority, "name" if name == "Name" else "") for name, kind, priority in spec)


S, N = "string", "integer"
_PRINTERS: dict[str, tuple[tuple[Column, ...], Printer]] = {
    "pods": (_columns(("Name", S, 0), ("Ready", S, 0), ("Status", S, 0), ("Restarts", N, 0), ("Age", S, 0),
                      ("IP", S, 1), ("Node", S, 1), ("Nominated Node", S, 1), ("Readiness Gates", S, 1)), _pod),
    "deployments": (_columns(("Name", S, 0), ("Ready", S, 0), ("Up-to-date", S, 0), ("Available", S, 0),
                             ("Age", S, 0), ("Containers", S, 1), ("Images", S, 1), ("Selector", S, 1)), _deployment),
    "replicasets": (_columns(("Name", S, 0), ("Desired", N, 0), ("Current", N, 0), ("Ready", N, 0), ("Age", S, 0),
                             ("Containers", S, 1), ("Images", S, 1), ("Selector", S, 1)), _replica_set),
    "statefulsets": (_columns(("Name", S, 0), ("Ready", S, 0), ("Age", S, 0), ("Containers", S, 1),
                              ("Images", S, 1)), _stateful_set),
    "daemonsets": (_columns(("Name", S, 0), ("Desired", N, 0), ("Current", N, 0), ("Ready", N, 0),
                            ("Up-to-date", N, 0), ("Available", N, 0), ("Node Selector", S, 0), ("Age", S, 0),
                            ("Containers", S, 1), ("Images", S, 1), ("Selector", S, 1)), _daemon_set),
    "jobs": (_columns(("Name", S, 0), ("Completions", S, 0), ("Duration", S, 0), ("Age", S, 0),
                      ("Containers", S, 1), ("Images", S, 1), ("Selector", S, 1)), _job),
    "cronjobs": (_columns(("Name", S, 0), ("Schedule", S, 0), ("Suspend", "boolean", 0), ("Active", N, 0),
                          ("Last Schedule", S, 0), ("Age", S, 0), ("Containers", S, 1), ("Images", S, 1),
                          ("Selector", S, 1)), _cron_job),
    "horizontalpodautoscalers": (_columns(("Name", S, 0), ("Reference", S, 0), ("Targets", S, 0),
                                          ("MinPods", S, 0), ("MaxPods", S, 0), ("Replicas", S, 0),
                                          ("Age", S, 0)), _autoscaler),
    "services": (_columns(("Name", S, 0), ("Type", S, 0), ("Cluster-IP", S, 0), ("External-IP", S, 0),
                          ("Port(s)", S, 0), ("Age", S, 0), ("Selector", S, 1)), _service),
    "ingresses": (_columns(("Name", S, 0), ("Class", S, 0), ("Hosts", S, 0), ("Address", S, 0), ("Ports", S, 0),
                           ("Age", S, 0)), _ingress),
    "nodes": (_columns(("Name", S, 0), ("Status", S, 0), ("Roles", S, 0), ("Age", S, 0), ("Version", S, 0),
                       ("Internal-IP", S, 1), ("External-IP", S, 1), ("OS-Image", S, 1), ("Kernel-Version", S, 1),
                       ("Container-Runtime", S, 1)), _node),
    "namespaces": (_columns(("Name", S, 0), ("Status", S, 0), ("Age", S, 0)), _namespace),
    "events": (_columns(("Last Seen", S, 0), ("Type", S, 0), ("Reason", S, 0), ("Object", S, 0),
                        ("Subobject", S, 1), ("Source", S, 1), ("Message", S, 0), ("First Seen", S, 1),
                        ("Count", S, 1), ("Name", S, 1)), _event),
    "configmaps": (_columns(("Name", S, 0), ("Data", S, 0), ("Age", S, 0)), _config_map),
    "secrets": (_columns(("Name", S, 0), ("Type", S, 0), ("Data", S, 0), ("Age", S, 0)), _secret),
    "serviceaccounts": (_columns(("Name", S, 0), ("Secrets", S, 0), ("Age", S, 0)), _service_account),
    "controllerrevisions": (_columns(("Name", S, 0), ("Controller", S, 0), ("Revision", S, 0), ("Age", S, 0)),
                            _controller_revision),
}  # fmt: skip


def print_table(resource: str, objects: Iterable[Json], now: datetime, crd: Json | None = None) -> ServerTable:
    """The table a v1.20 API server answers for `objects` of `resource` (`crd`: its definition)."""
    items = list(objects)
    if crd is not None:
        return _custom(crd, items, now)
    printer = _PRINTERS.get(resource)
    if printer is None:
        return default_table(items)
    columns, row = printer
    return ServerTable(
        columns,
        tuple(Row(row(o, now), o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in items),
    )


def _custom(crd: Json, items: list[Json], now: datetime) -> ServerTable:
    version: Json = next((v for v in crd["spec"].get("versions") or [] if v.get("storage")), {})
    defined = version.get("additionalPrinterColumns") or []
    if not defined:
        defined = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    columns = (
        Column("Name", "string", 0, "name"),
        *(Column(c["name"], c.get("type", "string"), int(c.get("priority", 0)), c.get("format", "")) for c in defined),
    )
    rows = []
    for obj in items:
        cells: list[Any] = [obj["metadata"]["name"]]
        for c in defined:
            values = jsonpath(obj, c["jsonPath"])
            if c.get("type") == "date":
                cells.append(since(str(values[0]), now) if values else None)
            else:
                cells.append(",".join(str(v) for v in values) if values else None)
        rows.append(Row(tuple(cells), obj["metadata"].get("namespace", ""), obj["metadata"]["name"]))
    return ServerTable(columns, tuple(rows))


def jsonpath(obj: Any, path: str) -> list[Any]:
    """The values at a CRD column's JSONPath: `.a.b`, `[0]`, `[*]`, `[?(@.type=="Ready")]`."""
    found = [obj]
    for step in _steps(path):
        found = [value for current in found for value in _step(current, step)]
    return found


def _steps(path: str) -> list[str]:
    steps, i = [], 0
    while i < len(path):
        if path[i] == ".":
            j = i + 1
            while j < len(path) and path[j] not in ".[":
                j += 1
            if j > i + 1:
                steps.append(path[i + 1 : j])
            i = j
        elif path[i] == "[":
            j = path.find("]", i)
            if j < 0:
                break
            if path.startswith("[?(", i):  # a filter may hold "]": it ends at ")]"
                j = path.find(")]", i) + 1
            steps.append(path[i : j + 1])
            i = j + 1
        else:
            i += 1
    return steps


def _step(current: Any, step: str) -> list[Any]:
    if step.startswith("[?(@.") and step.endswith(")]"):
        field, _, wanted = step[5:-2].partition("==")
        wanted = wanted.strip().strip("\"'")
        items = current if isinstance(current, list) else []
        return [i for i in items if isinstance(i, dict) and str(i.get(field.strip())) == wanted]
    if step.startswith("["):
        inner = step[1:-1]
        if not isinstance(current, list):
            return []
        if inner == "*":
            return list(current)
        try:
            return [current[int(inner)]]
        except (ValueError, IndexError):
            return []
    if isinstance(current, list):
        return [i[step] for i in current if isinstance(i, dict) and step in i]
    return [current[step]] if isinstance(current, dict) and step in current else []
