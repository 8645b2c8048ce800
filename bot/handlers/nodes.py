"""Nodes and pods: cordon/uncordon (asks first), delete pod (asks first), through the one write path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.context import Context
from bot.handlers.format import where
from bot.handlers.lookup import get_node, get_pod
from commands.deploy import (
    Cordon,
    DeletePod,
    Uncordon,
)
from commands.registry import Action
from commands.replies import Fields, Heading, Notice, Reply
from integrations.cluster import resources, workloads
from integrations.cluster.model import Json, node_from
from integrations.cluster.patches import Patch

# --- nodes and pods -------------------------------------------------------------------------------


def _cordon_or_uncordon(action: Cordon | Uncordon, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    cordon = isinstance(action, Cordon)
    before = get_node(cluster, action.node)
    if before.unschedulable == cordon:
        state = "already cordoned" if cordon else "not cordoned"
        return Reply((Notice("info", f"Node `{action.node}` is {state}; nothing to do."),), effect="nothing")
    nodes = resources.require(cluster, resources.NODES)
    body = Patch({"spec": {"unschedulable": cordon}})

    def change(dry: bool) -> Json:
        return workloads.change(cluster, nodes, None, action.node, body, cause=None, dry_run=dry)

    after = node_from(workloads.both(change))
    effect = (
        "No new pods will be scheduled here; pods already on it keep running."
        if cordon
        else "New pods may be scheduled here again."
    )
    return Reply(
        (
            Heading(f"{'Cordoned' if cordon else 'Uncordoned'} node `{action.node}`"),
            Fields((("Node", f"{action.node}: {before.status} → {after.status}"), ("Cluster", cluster.name))),
            Notice("ok", effect),
        )
    )


def delete_pod(action: DeletePod, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    pod = get_pod(cluster, namespace, action.pod)
    pods = resources.require(cluster, resources.PODS)
    cluster.delete_object(pods, namespace, action.pod, dry_run=True)
    owner_kind = (pod.owner or "").split("/", 1)[0]
    fate = (
        f"its {owner_kind} starts a replacement"
        if owner_kind in ("ReplicaSet", "StatefulSet", "DaemonSet")
        else "it has no controller: it will not come back"
        if not pod.owner
        else f"its owner, {pod.owner}, decides what comes next"
    )
    cluster.delete_object(pods, namespace, action.pod, dry_run=False)
    return Reply(
        (
            Heading(f"Deleted pod `{action.pod}` in {where(namespace, cluster.name)}"),
            Fields((("Pod", f"{pod.name} ({pod.status}, {pod.restarts} restarts)"), ("Then", fate))),
            Notice("ok", f"Done: {fate}."),
        )
    )


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    DeletePod: delete_pod,
    Cordon: _cordon_or_uncordon,
    Uncordon: _cordon_or_uncordon,
}
