"""`status`: one screen that says whether a namespace (or a whole cluster) is healthy.

Every figure is counted from the cluster's own objects; nothing is estimated.
"""

from __future__ import annotations

from collections import Counter

from bot.handlers.context import Context
from bot.handlers.format import age, clip, plural, where
from bot.handlers.lookup import require_namespace
from commands.read import Status
from commands.replies import Actions, Block, Button, Fields, Heading, Notice, Paragraph, Reply, table
from integrations.cluster.model import DeploymentInfo, EventInfo, NodeInfo, PodInfo

MAX_NEXT_STEPS = 5


def _pods_line(pods: list[PodInfo]) -> str:
    counts = Counter("failing" if p.problem and not p.unschedulable else p.phase.lower() for p in pods)
    order = ("running", "pending", "failing", "succeeded", "failed", "unknown")
    parts = [f"{counts[k]} {k}" for k in order if counts[k]]
    return ", ".join(parts) or "none"


def _nodes_line(nodes: list[NodeInfo]) -> str:
    ready = [n for n in nodes if n.ready == "True"]
    line = f"{len(ready)}/{len(nodes)} ready"
    down = [f"{n.name} {n.status}" for n in nodes if n.ready != "True"]
    return line + (f" ({', '.join(down)})" if down else "")


def _problems(
    deployments: list[DeploymentInfo], pods: list[PodInfo], nodes: list[NodeInfo], ctx: Context, cluster_wide: bool
) -> list[list[str]]:
    rows = []
    for n in nodes:
        if n.ready != "True":
            since = f" for {age(n.since, ctx.now)}" if n.since else ""
            rows.append([f"node/{n.name}", f"{n.status}{since}: {n.reason or ''} {clip(n.message or '', 80)}".strip()])
    for d in deployments:
        if d.problem:
            rows.append([_name("deployment", d.namespace, d.name, cluster_wide), d.problem])
    for p in pods:
        if p.problem:
            rows.append([_name("pod", p.namespace, p.name, cluster_wide), clip(p.problem, 140)])
    return rows


def _name(kind: str, namespace: str, name: str, cluster_wide: bool) -> str:
    return f"{kind}/{namespace}/{name}" if cluster_wide else f"{kind}/{name}"


def _warnings(events: list[EventInfo]) -> list[list[str]]:
    grouped: Counter[tuple[str, str]] = Counter()
    for e in events:
        if e.type == "Warning":
            grouped[(e.reason, e.kind)] += e.count
    return [[reason, kind, str(count)] for (reason, kind), count in grouped.most_common(8)]


def _next_steps(deployments: list[DeploymentInfo], cluster: str, named: str | None) -> tuple[Button, ...]:
    """A look at each unhealthy Deployment, one click (or one command) away."""
    on_cluster = f" --cluster {cluster}" if named else ""
    return tuple(
        Button(f"Describe {d.name}", f"describe deployment {d.name} -n {d.namespace}{on_cluster}")
        for d in deployments
        if d.problem
    )[:MAX_NEXT_STEPS]


def status(action: Status, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace
    if namespace is not None:
        require_namespace(cluster, namespace)
    deployments = cluster.list_deployments(namespace)
    pods = cluster.list_pods(namespace)
    nodes = cluster.list_nodes()
    events = cluster.list_events(namespace)
    ready_deployments = sum(1 for d in deployments if not d.problem)
    summary = Fields(
        (
            ("Deployments", f"{ready_deployments}/{len(deployments)} fully available"),
            ("Pods", _pods_line(pods)),
            ("Nodes", _nodes_line(nodes)),
        )
    )
    blocks: list[Block] = [Heading(f"Health of {where(namespace, cluster.name)}"), summary]
    problems = _problems(deployments, pods, nodes, ctx, cluster_wide=namespace is None)
    if problems:
        blocks += [Paragraph("Needs attention"), table(("OBJECT", "PROBLEM"), problems, limit=25)]
    warnings = _warnings(events)
    if warnings:
        blocks += [Paragraph("Warning events"), table(("REASON", "KIND", "COUNT"), warnings, limit=8)]
    if buttons := _next_steps(deployments, cluster.name, action.cluster):
        blocks.append(Actions(buttons))
    if problems:
        verb = "needs" if len(problems) == 1 else "need"
        blocks.append(Notice("warning", f"{plural(len(problems), 'problem')} {verb} attention."))
    else:
        blocks.append(Notice("ok", "Everything is healthy."))
    return Reply(tuple(blocks))
