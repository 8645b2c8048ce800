"""`status`: one screen that says whether a namespace (or a whole cluster) is healthy.

Every figure is counted from the cluster's own objects; nothing is estimated.
"""

from __future__ import annotations

from bot.handlers.context import Context
from bot.handlers.describe import autoscalers
from bot.handlers.findings import nodes_line, pod_counts, pods_line, problems, warning_groups
from bot.handlers.format import plural, where
from bot.handlers.lookup import list_jobs, list_workloads, require_namespace
from commands.read import Status
from commands.replies import Actions, Block, Button, Fields, Heading, Notice, Paragraph, Reply, table
from integrations.cluster.model import DeploymentInfo

MAX_NEXT_STEPS = 5


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
    jobs = list_jobs(cluster, namespace)
    workloads = list_workloads(cluster, namespace)
    ready_deployments = sum(1 for d in deployments if not d.problem)
    lines = [("Deployments", f"{ready_deployments}/{len(deployments)} fully available")]
    if workloads:
        ready = sum(1 for w in workloads if not w.problem)
        lines.append(("StatefulSets, DaemonSets", f"{ready}/{len(workloads)} fully available"))
    lines += [("Pods", pods_line(pod_counts(pods))), ("Nodes", nodes_line(nodes))]
    blocks: list[Block] = [Heading(f"Health of {where(namespace, cluster.name)}"), Fields(tuple(lines))]
    found = problems(deployments, pods, nodes, ctx.now, jobs, workloads)
    rows = [(p.object(cluster_wide=namespace is None), p.text) for p in found]
    if rows:
        blocks += [Paragraph("Needs attention"), table(("OBJECT", "PROBLEM"), rows, limit=25)]
    if scalers := autoscalers(cluster, namespace):
        rows2 = [
            (
                f"{'' if namespace else a.namespace + '/'}{a.name} → {a.target_kind.lower()}/{a.target_name}",
                f"{a.current} ({a.minimum}–{a.maximum})",
                ", ".join(a.metrics),
            )
            for a in scalers
        ]
        blocks += [Paragraph("Autoscalers"), table(("HPA", "REPLICAS (LIMITS)", "TARGETS"), rows2, limit=10)]
    warnings = [(reason, kind, str(count)) for reason, kind, count in warning_groups(events)]
    if warnings:
        blocks += [Paragraph("Warning events"), table(("REASON", "KIND", "COUNT"), warnings[:8], limit=8)]
    if buttons := _next_steps(deployments, cluster.name, action.cluster):
        blocks.append(Actions(buttons))
    if rows:
        verb = "needs" if len(rows) == 1 else "need"
        blocks.append(Notice("warning", f"{plural(len(rows), 'problem')} {verb} attention."))
    else:
        blocks.append(Notice("ok", "Everything is healthy."))
    return Reply(tuple(blocks))
