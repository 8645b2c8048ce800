"""Finding one object, and when it is missing, naming the similar ones that exist."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from functools import partial

from commands.errors import NotFound
from integrations.cluster import resources
from integrations.cluster.model import DeploymentInfo, NodeInfo, PodInfo
from integrations.cluster.port import Cluster
from integrations.cluster.workload_model import JobInfo, WorkloadInfo, job_from, workload_from


def suggest_missing(error: NotFound, names: Callable[[], Sequence[str]]) -> NotFound:
    """The same NotFound, now naming similar objects that do exist."""
    return error.with_suggestions(difflib.get_close_matches(error.name, list(names()), n=3, cutoff=0.5))


def require_namespace(cluster: Cluster, namespace: str) -> None:
    """Raise NotFound for a namespace that does not exist (lists in one just come back empty)."""
    names = [n.name for n in cluster.list_namespaces()]
    if namespace not in names:
        error = NotFound("namespace", namespace, namespace=None, cluster=cluster.name)
        raise suggest_missing(error, lambda: names)


def get_pod(cluster: Cluster, namespace: str, name: str) -> PodInfo:
    try:
        return cluster.get_pod(namespace, name)
    except NotFound as e:
        raise suggest_missing(e, lambda: [p.name for p in cluster.list_pods(namespace)]) from None


def get_deployment(cluster: Cluster, namespace: str, name: str) -> DeploymentInfo:
    try:
        return cluster.get_deployment(namespace, name)
    except NotFound as e:
        raise suggest_missing(e, lambda: [d.name for d in cluster.list_deployments(namespace)]) from None


def get_node(cluster: Cluster, name: str) -> NodeInfo:
    nodes = cluster.list_nodes()
    found = next((n for n in nodes if n.name == name), None)
    if found is None:
        error = NotFound("node", name, namespace=None, cluster=cluster.name)
        raise suggest_missing(error, lambda: [n.name for n in nodes])
    return found


def list_workloads(cluster: Cluster, namespace: str | None) -> list[WorkloadInfo]:
    """StatefulSets and DaemonSets (Deployments have their own list), of the kinds the cluster serves."""
    found: list[WorkloadInfo] = []
    for kind in (resources.STATEFULSETS, resources.DAEMONSETS):
        if (served := resources.served(cluster, kind)) is not None:
            found += cluster.list_objects(served, namespace, partial(workload_from, kind.resource))
    return found


def list_jobs(cluster: Cluster, namespace: str | None) -> list[JobInfo]:
    return cluster.list_objects(resources.require(cluster, resources.JOBS), namespace, job_from)
