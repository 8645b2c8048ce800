"""Read commands: logs, history. (`get`, `describe`, `top` live in `resources.py`, `status` in `health.py`.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers import health
from bot.handlers import resources as resources_handlers
from bot.handlers.context import Context
from bot.handlers.describe import fetch
from bot.handlers.format import ROW_LIMIT, age, plural, where
from bot.handlers.lookup import get_deployment, get_pod
from commands.errors import Invalid
from commands.limits import LOG_BYTES, LOG_LINE_CHARS
from commands.read import History, Logs, Status
from commands.registry import Action
from commands.replies import Block, Heading, Notice, Paragraph, Preformatted, Reply, table
from commands.values import split_workload
from integrations.cluster import resources, workloads
from integrations.cluster.model import LogText, PodInfo
from integrations.cluster.port import Cluster

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
    kind, name = split_workload(action.name)
    resource = resources.require(cluster, resources.WORKLOADS[kind])
    fetch(cluster, resources.WORKLOADS[kind], namespace, name)  # NotFound naming similar ones
    rows = [
        [
            str(r.number) + (" (current)" if r.current else ""),
            ", ".join(image for _, image in r.images),
            age(r.created, ctx.now),
            r.change_cause or "<none>",
        ]
        for r in workloads.history(cluster, resource, namespace, name)
    ]
    what = "" if kind == "deployments" else f"{resources.WORKLOADS[kind].label} "
    heading = Heading(f"Rollout history of {what}`{name}` in {where(namespace, cluster.name)}")
    return Reply((heading, table(("REVISION", "IMAGES", "AGE", "CHANGE-CAUSE"), rows, limit=ROW_LIMIT)))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    **resources_handlers.HANDLERS,
    Logs: logs,
    History: history,
    Status: health.status,
}
