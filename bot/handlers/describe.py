"""Tailored `describe` views: Deployments, StatefulSets, DaemonSets, pods, CronJobs, Jobs, HPAs.
Every other kind gets the generic view (bot/handlers/resources.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.handlers.context import Context
from bot.handlers.format import age, clip
from bot.handlers.lookup import get_pod, require_namespace, suggest_missing
from commands.errors import NotFound
from commands.replies import Block, Fields, Heading, Notice, Paragraph, Reply, table
from integrations.cluster import resources
from integrations.cluster.model import EventInfo, Json, PodInfo
from integrations.cluster.port import Cluster
from integrations.cluster.workload_model import (
    AutoscalerInfo,
    WorkloadInfo,
    autoscaler_from,
    cronjob_from,
    job_from,
    workload_from,
)

POD_COLUMNS = ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE")


def pod_row(p: PodInfo, ctx: Context) -> list[str]:
    return [p.name, f"{p.ready}/{p.total}", p.status, str(p.restarts), age(p.created, ctx.now), p.node or "<none>"]


def events_block(events: Sequence[EventInfo], ctx: Context) -> list[Block]:
    if not events:
        return [Paragraph("Events: none recent.")]
    rows = [
        [age(e.last_seen, ctx.now), e.type, e.reason, f"{e.kind.lower()}/{e.name}", f"x{e.count}", clip(e.message)]
        for e in events
    ]
    return [Paragraph("Events"), table(("LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"), rows, limit=15)]


def fetch(cluster: Cluster, kind: resources.Kind, namespace: str, name: str) -> Json:
    """One object of a known kind, or NotFound naming similar ones."""
    resource = resources.require(cluster, kind)
    try:
        return cluster.get_object(resource, namespace, name)
    except NotFound:
        require_namespace(cluster, namespace)
        missing = NotFound(kind.label.lower(), name, namespace=namespace, cluster=cluster.name)
        names = lambda: [o["metadata"]["name"] for o in cluster.list_objects(resource, namespace, lambda o: o)]  # noqa: E731
        raise suggest_missing(missing, names) from None


def autoscalers(cluster: Cluster, namespace: str | None) -> list[AutoscalerInfo]:
    resource = resources.served(cluster, resources.AUTOSCALERS)
    return cluster.list_objects(resource, namespace, autoscaler_from) if resource else []


def autoscaler_of(cluster: Cluster, namespace: str, kind: str, name: str) -> AutoscalerInfo | None:
    return next((a for a in autoscalers(cluster, namespace) if a.controls(kind, name)), None)


def disruption_budgets(cluster: Cluster, namespace: str, labels: dict[str, str]) -> list[str]:
    """The PodDisruptionBudgets (policy/v1, or v1beta1 before 1.21) whose selector takes these pods."""
    resource = resources.served(cluster, resources.DISRUPTION_BUDGETS)
    if resource is None or not labels:
        return []
    found = []
    for pdb in cluster.list_objects(resource, namespace, lambda o: o):
        wanted = ((pdb.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
        if wanted and all(labels.get(k) == v for k, v in wanted.items()):
            spec, status = pdb["spec"], pdb.get("status") or {}
            rule = (
                f"minAvailable {spec['minAvailable']}"
                if "minAvailable" in spec
                else f"maxUnavailable {spec.get('maxUnavailable')}"
            )
            found.append(
                f"{pdb['metadata']['name']}: {rule}, {status.get('disruptionsAllowed', 0)} disruptions allowed now"
            )
    return found


def autoscaler_fields(hpa: AutoscalerInfo) -> tuple[tuple[str, str], ...]:
    scaling = next(((s, r, m) for t, s, r, m in hpa.conditions if t == "ScalingActive"), None)
    wants = f", wants {hpa.desired}" if hpa.desired and hpa.desired != hpa.current else ""
    fields = [
        ("Autoscaler", f"{hpa.name}: {hpa.minimum} to {hpa.maximum} replicas (now {hpa.current}{wants})"),
        ("Targets", ", ".join(hpa.metrics) or "<none>"),
    ]
    if scaling is not None and scaling[0] != "True":
        fields.append(("Scaling", f"inactive: {scaling[1]}: {clip(scaling[2], 160)}"))
    return tuple(fields)


def _workload(resource: str) -> Callable[[Cluster, str, str, Context], Reply]:
    def view(cluster: Cluster, namespace: str, name: str, ctx: Context) -> Reply:
        kind = resources.WORKLOADS[resource]
        obj = fetch(cluster, kind, namespace, name)
        w = workload_from(resource, obj)
        pods = cluster.list_pods(namespace, w.selector) if w.selector else []
        related = {w.name, *(p.name for p in pods), *(p.owner.split("/", 1)[1] for p in pods if p.owner)}
        events = [e for e in cluster.list_events(namespace) if e.name in related]
        blocks: list[Block] = [Heading(f"{w.kind} `{name}`"), Fields(_workload_fields(w, namespace, cluster.name, ctx))]
        if (hpa := autoscaler_of(cluster, namespace, w.kind, name)) is not None:
            blocks.append(Fields(autoscaler_fields(hpa)))
        labels = (obj["spec"].get("template", {}).get("metadata") or {}).get("labels") or {}
        if budgets := disruption_budgets(cluster, namespace, labels):
            blocks.append(Fields(tuple(("Disruption budget", b) for b in budgets)))
        if w.conditions:
            rows = [[t, s, r, clip(m)] for t, s, r, m in w.conditions]
            blocks += [Paragraph("Conditions"), table(("TYPE", "STATUS", "REASON", "MESSAGE"), rows, limit=10)]
        pod_rows = [pod_row(p, ctx) for p in pods]
        blocks += [Paragraph("Pods"), table(POD_COLUMNS, pod_rows, limit=20)] if pods else [Paragraph("Pods: none.")]
        blocks += events_block(events, ctx)
        if w.problem:
            blocks.append(Notice("warning", f"Only {w.problem}."))
        return Reply(tuple(blocks))

    return view


def _workload_fields(w: WorkloadInfo, namespace: str, cluster: str, ctx: Context) -> tuple[tuple[str, str], ...]:
    if w.resource == "daemonsets":
        counts = f"{w.desired} nodes should run one | {w.updated} updated | {w.ready} ready | {w.available} available"
    else:
        counts = f"{w.desired} desired | {w.updated} updated | {w.ready} ready | {w.available} available"
    strategy = w.strategy + (" (paused)" if w.paused else "")
    if w.resource == "statefulsets" and w.strategy == "RollingUpdate" and w.partition:
        strategy += f", partition {w.partition}: ordinals below it are not updated"
    if w.strategy == "OnDelete":
        strategy += ": pods change only when deleted"
    fields = [
        ("Namespace", namespace),
        ("Cluster", cluster),
        ("Created", f"{age(w.created, ctx.now)} ago"),
        ("Replicas" if w.resource != "daemonsets" else "Pods", counts),
        ("Images", ", ".join(f"{c}={i}" for c, i in w.images)),
    ]
    if w.resource == "deployments":
        fields.append(("Revision", w.revision or "?"))
    elif w.resource == "statefulsets":
        same = w.revision == w.current_revision
        fields.append(("Revision", w.revision if same else f"{w.current_revision} → {w.revision} (updating)"))
    fields += [("Strategy", strategy), ("Selector", w.selector)]
    return tuple(fields)


def _pod(cluster: Cluster, namespace: str, name: str, ctx: Context) -> Reply:
    p = get_pod(cluster, namespace, name)
    fields = (
        ("Namespace", namespace),
        ("Cluster", cluster.name),
        ("Status", p.status + (f" ({p.phase})" if p.phase != p.status else "")),
        ("Node", p.node or "<none>"),
        ("IP", p.ip or "<none>"),
        ("Created", f"{age(p.created, ctx.now)} ago"),
        ("Controlled by", p.owner or "<none>"),
        ("Labels", ", ".join(f"{k}={v}" for k, v in p.labels) or "<none>"),
    )
    rows = [
        [
            c.name + (" (sidecar)" if c.sidecar else ""),
            c.image,
            c.state,
            "yes" if c.ready else "no",
            str(c.restarts),
            c.last_termination or "-",
        ]
        for c in p.containers
    ]
    blocks: list[Block] = [
        Heading(f"Pod `{name}`"),
        Fields(fields),
        Paragraph("Containers"),
        table(("NAME", "IMAGE", "STATE", "READY", "RESTARTS", "LAST TERMINATION"), rows, limit=20),
    ]
    resized = [(c.name, c.requested, c.running) for c in p.containers if c.running]
    if p.resize or resized:
        lines = "; ".join(f"{n}: runs with {run} (spec: {req or 'none'})" for n, req, run in resized)
        blocks.append(
            Notice("info", f"In-place resize {p.resize or 'applied in part'}" + (f": {lines}" if lines else "") + ".")
        )
    blocks += [Notice("warning", f"{c.name}: {c.waiting_message}") for c in p.containers if c.waiting_message]
    if p.env:
        # What comes from a Secret is shown as a reference to it, never as its value.
        env = [[e.container, e.name, (e.value or "") if e.source is None else f"<from {e.source}>"] for e in p.env]
        blocks += [Paragraph("Environment"), table(("CONTAINER", "NAME", "VALUE"), env, limit=40)]
    if p.unschedulable:
        blocks.append(Notice("warning", f"Not scheduled: {p.unschedulable}"))
    blocks.append(Fields((("Conditions", ", ".join(f"{t}={s}" for t, s in p.conditions) or "<none>"),)))
    blocks += events_block(cluster.list_events(namespace, involved=name), ctx)
    return Reply(tuple(blocks))


def _cronjob(cluster: Cluster, namespace: str, name: str, ctx: Context) -> Reply:
    cj = cronjob_from(fetch(cluster, resources.CRONJOBS, namespace, name))
    jobs = sorted(
        (
            j
            for j in cluster.list_objects(resources.require(cluster, resources.JOBS), namespace, job_from)
            if j.owner == name
        ),
        key=lambda j: j.created.timestamp() if j.created else 0,
    )
    fields = (
        ("Namespace", namespace),
        ("Cluster", cluster.name),
        ("Schedule", cj.schedule + (" (suspended: no new Jobs start)" if cj.suspended else "")),
        ("Last schedule", f"{age(cj.last_schedule, ctx.now)} ago" if cj.last_schedule else "never"),
        ("Active", str(cj.active)),
        ("Images", ", ".join(f"{c}={i}" for c, i in cj.images)),
    )
    blocks: list[Block] = [Heading(f"CronJob `{name}`"), Fields(fields)]
    if jobs:
        blocks += [Paragraph("Jobs"), table(JOB_COLUMNS, [job_row(j, ctx) for j in jobs], limit=10)]
        if jobs[-1].failure:
            blocks.append(Notice("warning", f"The last Job, `{jobs[-1].name}`, failed: {jobs[-1].failure}."))
    else:
        blocks.append(Paragraph("Jobs: none kept."))
    blocks += events_block(
        [e for e in cluster.list_events(namespace) if e.name in {name, *(j.name for j in jobs)}], ctx
    )
    return Reply(tuple(blocks))


JOB_COLUMNS = ("NAME", "COMPLETIONS", "DURATION", "AGE", "RESULT")


def job_row(j: object, ctx: Context) -> list[str]:
    from integrations.cluster.workload_model import JobInfo

    assert isinstance(j, JobInfo)
    duration = ""
    if j.started is not None:
        end = j.finished or ctx.now
        duration = age(j.started, end)
    result = "Complete" if j.complete else (f"Failed: {j.failure}" if j.failure else "Running")
    return [j.name, f"{j.succeeded}/{j.completions}", duration, age(j.created, ctx.now), clip(result, 80)]


def _job(cluster: Cluster, namespace: str, name: str, ctx: Context) -> Reply:
    j = job_from(fetch(cluster, resources.JOBS, namespace, name))
    pods = cluster.list_pods(namespace, j.selector) if j.selector else []
    fields = (
        ("Namespace", namespace),
        ("Cluster", cluster.name),
        ("Made from", f"CronJob/{j.owner}" if j.owner else "<none>"),
        ("Completions", f"{j.succeeded}/{j.completions} succeeded, {j.failed} failed, {j.active} running"),
        ("Images", ", ".join(f"{c}={i}" for c, i in j.images)),
    )
    blocks: list[Block] = [Heading(f"Job `{name}`"), Fields(fields)]
    blocks += [Paragraph("Pods"), table(POD_COLUMNS, [pod_row(p, ctx) for p in pods], limit=20)] if pods else []
    if j.failure:
        blocks.append(Notice("error", f"Failed: {j.failure}."))
    elif j.complete:
        blocks.append(Notice("ok", "Complete."))
    blocks += events_block(
        [e for e in cluster.list_events(namespace) if e.name in {name, *(p.name for p in pods)}], ctx
    )
    return Reply(tuple(blocks))


def _autoscaler(cluster: Cluster, namespace: str, name: str, ctx: Context) -> Reply:
    hpa = autoscaler_from(fetch(cluster, resources.AUTOSCALERS, namespace, name))
    fields = (
        ("Namespace", namespace),
        ("Cluster", cluster.name),
        ("Scales", f"{hpa.target_kind}/{hpa.target_name}"),
        *autoscaler_fields(hpa),
    )
    blocks: list[Block] = [Heading(f"HorizontalPodAutoscaler `{name}`"), Fields(fields)]
    if hpa.conditions:
        rows = [[t, s, r, clip(m)] for t, s, r, m in hpa.conditions]
        blocks += [Paragraph("Conditions"), table(("TYPE", "STATUS", "REASON", "MESSAGE"), rows, limit=10)]
    blocks += events_block(cluster.list_events(namespace, involved=name), ctx)
    return Reply(tuple(blocks))


VIEWS: dict[str, Callable[[Cluster, str, str, Context], Reply]] = {
    "deployments": _workload("deployments"),
    "statefulsets": _workload("statefulsets"),
    "daemonsets": _workload("daemonsets"),
    "pods": _pod,
    "cronjobs": _cronjob,
    "jobs": _job,
    "horizontalpodautoscalers": _autoscaler,
}
