"""Read commands: get, describe, logs, history. (`status` lives in `health.py`.)"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from bot.handlers import health
from bot.handlers.context import Context
from bot.handlers.format import ROW_LIMIT, age, clip, plural, where
from bot.handlers.lookup import get_deployment, get_pod, require_namespace, suggest_missing
from commands.errors import Invalid, NotFound
from commands.limits import LOG_BYTES, LOG_LINE_CHARS
from commands.read import Describe, GetResources, History, Logs, Status
from commands.registry import Action
from commands.replies import Block, Fields, Heading, Notice, Paragraph, Preformatted, Reply, table
from integrations.cluster.model import DeploymentInfo, EventInfo, LogText, PodInfo
from integrations.cluster.port import Cluster

# --- get ----------------------------------------------------------------------------------


def _pod_row(p: PodInfo, ctx: Context) -> list[str]:
    return [p.name, f"{p.ready}/{p.total}", p.status, str(p.restarts), age(p.created, ctx.now), p.node or "<none>"]


def _deployment_row(d: DeploymentInfo, ctx: Context) -> list[str]:
    images = ", ".join(image for _, image in d.images)
    return [d.name, f"{d.ready}/{d.desired}", str(d.updated), str(d.available), age(d.created, ctx.now), images]


def _event_row(e: EventInfo, ctx: Context) -> list[str]:
    return [age(e.last_seen, ctx.now), e.type, e.reason, f"{e.kind.lower()}/{e.name}", clip(e.message)]


_COLUMNS = {
    "pods": ("NAME", "READY", "STATUS", "RESTARTS", "AGE", "NODE"),
    "deployments": ("NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "IMAGES"),
    "nodes": ("NAME", "STATUS", "ROLES", "AGE", "VERSION"),
    "events": ("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"),
    "namespaces": ("NAME", "STATUS", "AGE"),
}


def _rows(action: GetResources, cluster: Cluster, namespace: str | None, ctx: Context) -> list[tuple[str, list[str]]]:
    """(namespace, row) pairs for the requested kind, in display order."""
    if action.kind == "pods":
        return [(p.namespace, _pod_row(p, ctx)) for p in cluster.list_pods(namespace, action.selector)]
    if action.kind == "deployments":
        return [(d.namespace, _deployment_row(d, ctx)) for d in cluster.list_deployments(namespace, action.selector)]
    if action.kind == "events":
        events = sorted(
            cluster.list_events(namespace), key=lambda e: e.last_seen.timestamp() if e.last_seen else 0, reverse=True
        )
        events.sort(key=lambda e: e.type != "Warning")  # stable: warnings first, newest first within
        return [(e.namespace, _event_row(e, ctx)) for e in events]
    if action.kind == "nodes":
        return [
            ("", [n.name, n.status, ",".join(n.roles) or "<none>", age(n.created, ctx.now), n.version])
            for n in cluster.list_nodes(action.selector)
        ]
    return [("", [n.name, n.phase, age(n.created, ctx.now)]) for n in cluster.list_namespaces()]


def _just(
    name: str, kind: str, rows: list[tuple[str, list[str]]], cluster: Cluster, namespace: str | None
) -> list[tuple[str, list[str]]]:
    """The row of the one object named, or NotFound naming similar ones (as `kubectl get KIND NAME`)."""
    found = [(ns, row) for ns, row in rows if row[0] == name]
    if not found:
        if namespace is not None:
            require_namespace(cluster, namespace)
        error = NotFound(kind.removesuffix("s"), name, namespace=namespace, cluster=cluster.name)
        raise suggest_missing(error, lambda: [row[0] for _, row in rows])
    return found


def get(action: GetResources, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    namespace = action.scope(cluster.default_namespace)
    rows = _rows(action, cluster, namespace, ctx)
    if action.name is not None:
        rows = _just(action.name, action.kind, rows, cluster, namespace)
    columns = _COLUMNS[action.kind]
    namespaced = action.kind not in ("nodes", "namespaces")
    if namespaced and namespace is None:
        columns = ("NAMESPACE", *columns)
        rows = [(ns, [ns, *row]) for ns, row in rows]
    title = action.kind.title()
    heading = Heading(f"{title} in {where(namespace, cluster.name)}" if namespaced else f"{title} on `{cluster.name}`")
    if not rows:
        if namespace is not None:
            require_namespace(cluster, namespace)
        selected = f" matching `{action.selector}`" if action.selector else ""
        return Reply((heading, Notice("info", f"No {action.kind}{selected}.")))
    return Reply((heading, table(columns, [r for _, r in rows], limit=ROW_LIMIT)))


# --- describe -----------------------------------------------------------------------------


def _events_block(events: Sequence[EventInfo], ctx: Context) -> list[Block]:
    if not events:
        return [Paragraph("Events: none recent.")]
    rows = [
        [age(e.last_seen, ctx.now), e.type, e.reason, f"{e.kind.lower()}/{e.name}", f"x{e.count}", clip(e.message)]
        for e in events
    ]
    return [Paragraph("Events"), table(("LAST SEEN", "TYPE", "REASON", "OBJECT", "COUNT", "MESSAGE"), rows, limit=15)]


def _describe_deployment(cluster: Cluster, namespace: str, name: str, ctx: Context) -> Reply:
    d = get_deployment(cluster, namespace, name)
    pods = cluster.list_pods(namespace, d.selector)
    related = {d.name, *(p.name for p in pods), *(p.owner.split("/", 1)[1] for p in pods if p.owner)}
    events = [e for e in cluster.list_events(namespace) if e.name in related]
    fields = (
        ("Namespace", namespace),
        ("Cluster", cluster.name),
        ("Created", f"{age(d.created, ctx.now)} ago"),
        ("Replicas", f"{d.desired} desired | {d.updated} updated | {d.ready} ready | {d.available} available"),
        ("Images", ", ".join(f"{c}={i}" for c, i in d.images)),
        ("Revision", str(d.revision or "?")),
        ("Strategy", d.strategy + (" (paused)" if d.paused else "")),
        ("Selector", d.selector),
    )
    blocks: list[Block] = [Heading(f"Deployment `{name}`"), Fields(fields)]
    if d.conditions:
        blocks += [
            Paragraph("Conditions"),
            table(
                ("TYPE", "STATUS", "REASON", "MESSAGE"), [[t, s, r, clip(m)] for t, s, r, m in d.conditions], limit=10
            ),
        ]
    pod_rows = [_pod_row(p, ctx) for p in pods]
    blocks += [Paragraph("Pods"), table(_COLUMNS["pods"], pod_rows, limit=20)] if pods else [Paragraph("Pods: none.")]
    blocks += _events_block(events, ctx)
    if d.problem:
        blocks.append(Notice("warning", f"Only {d.problem}."))
    return Reply(tuple(blocks))


def _describe_pod(cluster: Cluster, namespace: str, name: str, ctx: Context) -> Reply:
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
        [c.name, c.image, c.state, "yes" if c.ready else "no", str(c.restarts), c.last_termination or "-"]
        for c in p.containers
    ]
    blocks: list[Block] = [
        Heading(f"Pod `{name}`"),
        Fields(fields),
        Paragraph("Containers"),
        table(("NAME", "IMAGE", "STATE", "READY", "RESTARTS", "LAST TERMINATION"), rows, limit=20),
    ]
    blocks += [Notice("warning", f"{c.name}: {c.waiting_message}") for c in p.containers if c.waiting_message]
    if p.unschedulable:
        blocks.append(Notice("warning", f"Not scheduled: {p.unschedulable}"))
    blocks.append(Fields((("Conditions", ", ".join(f"{t}={s}" for t, s in p.conditions) or "<none>"),)))
    blocks += _events_block(cluster.list_events(namespace, involved=name), ctx)
    return Reply(tuple(blocks))


def describe(action: Describe, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    if action.kind == "deployment":
        return _describe_deployment(cluster, namespace, action.name, ctx)
    return _describe_pod(cluster, namespace, action.name, ctx)


# --- logs ---------------------------------------------------------------------------------


def _log_pod(cluster: Cluster, namespace: str, action: Logs) -> PodInfo:
    kind, name = action.source
    if kind == "pod":
        return get_pod(cluster, namespace, name)
    deployment = get_deployment(cluster, namespace, name)
    pods = cluster.list_pods(namespace, deployment.selector)
    if not pods:
        raise Invalid(f"Deployment `{name}` has no pods, so there are no logs to show.", cluster=cluster.name)
    # Like kubectl: a running pod if there is one, else the first.
    return next((p for p in pods if p.phase == "Running"), pods[0])


def logs(action: Logs, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    pod = _log_pod(cluster, namespace, action)
    names = [c.name for c in pod.containers]
    container = action.container or names[0]
    if container not in names:
        raise Invalid(
            f"Pod `{pod.name}` has no container `{container}`; it has: {', '.join(names)}.", cluster=cluster.name
        )
    notes: list[Block] = []
    if action.container is None and len(names) > 1:
        notes.append(Paragraph(f"Showing container `{container}` of {', '.join(names)}; choose with `-c`."))
    if pod.unschedulable:
        raise Invalid(f"Pod `{pod.name}` has no logs: it is not scheduled ({pod.unschedulable}).", cluster=cluster.name)
    written = cluster.pod_logs(namespace, pod.name, container, action.tail, action.previous)
    which = "previous " if action.previous else ""
    heading = Heading(
        f"Last {plural(action.tail, 'line')} of {which}`{namespace}/{pod.name}` ({container}) on `{cluster.name}`"
    )
    if not written.lines:
        return Reply((heading, *notes, Notice("info", "The container has written nothing yet.")))
    return Reply((heading, *notes, Preformatted(written.lines), *_log_cuts(written)))


def _log_cuts(written: LogText) -> list[Block]:
    """What the bounds left out, said plainly: the reader must know the log is not whole."""
    cuts: list[Block] = []
    if written.truncated:
        cuts.append(
            Notice(
                "warning",
                f"Cut at {LOG_BYTES // 1024:,} KiB: the API server sends the oldest of these lines first, so "
                f"the newest are not shown. Ask for fewer with `--tail`.",
            )
        )
    if written.cut_lines:
        lines = plural(written.cut_lines, "line")
        cuts.append(Notice("info", f"{lines} longer than {LOG_LINE_CHARS:,} characters cut, as marked."))
    return cuts


# --- history ------------------------------------------------------------------------------


def history(action: History, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    deployment = get_deployment(cluster, namespace, action.name)
    owned = [rs for rs in cluster.list_replica_sets(namespace, deployment.selector) if rs.owner == action.name]
    owned.sort(key=lambda rs: rs.revision or 0)
    rows = [
        [
            str(rs.revision or "?") + (" (current)" if rs.revision == deployment.revision else ""),
            ", ".join(image for _, image in rs.images),
            age(rs.created, ctx.now),
            rs.change_cause or "<none>",
        ]
        for rs in owned
    ]
    heading = Heading(f"Rollout history of `{action.name}` in {where(namespace, cluster.name)}")
    return Reply((heading, table(("REVISION", "IMAGES", "AGE", "CHANGE-CAUSE"), rows, limit=ROW_LIMIT)))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    GetResources: get,
    Describe: describe,
    Logs: logs,
    History: history,
    Status: health.status,
}
