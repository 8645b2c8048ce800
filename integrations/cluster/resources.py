"""The kinds Pilothouse understands, and which version of each a cluster serves (by discovery).

A `Kind` names a resource in a group and the versions Pilothouse reads, newest first: the
cluster's discovery decides which one is used, so `batch/v1` CronJobs are read on 1.21+ and
`batch/v1beta1` on 1.20; `autoscaling/v2` HPAs on 1.23+, `v2beta2` before; `policy/v1` PDBs.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.errors import ClusterError, UnknownKind
from integrations.cluster.discovery import ResourceType
from integrations.cluster.port import Cluster


@dataclass(frozen=True, slots=True)
class Kind:
    group: str
    resource: str
    versions: tuple[str, ...]
    label: str  # what a person calls one: "StatefulSet"


PODS = Kind("", "pods", ("v1",), "pod")
NODES = Kind("", "nodes", ("v1",), "node")
NAMESPACES = Kind("", "namespaces", ("v1",), "namespace")
SERVICES = Kind("", "services", ("v1",), "service")
DEPLOYMENTS = Kind("apps", "deployments", ("v1",), "Deployment")
STATEFULSETS = Kind("apps", "statefulsets", ("v1",), "StatefulSet")
DAEMONSETS = Kind("apps", "daemonsets", ("v1",), "DaemonSet")
REPLICASETS = Kind("apps", "replicasets", ("v1",), "ReplicaSet")
CONTROLLER_REVISIONS = Kind("apps", "controllerrevisions", ("v1",), "ControllerRevision")
JOBS = Kind("batch", "jobs", ("v1",), "Job")
CRONJOBS = Kind("batch", "cronjobs", ("v1", "v1beta1"), "CronJob")
AUTOSCALERS = Kind("autoscaling", "horizontalpodautoscalers", ("v2", "v2beta2", "v1"), "HorizontalPodAutoscaler")
DISRUPTION_BUDGETS = Kind("policy", "poddisruptionbudgets", ("v1", "v1beta1"), "PodDisruptionBudget")
EVENTS = Kind("events.k8s.io", "events", ("v1",), "event")
CORE_EVENTS = Kind("", "events", ("v1",), "event")
SECRETS = Kind("", "secrets", ("v1",), "secret")
POD_METRICS = Kind("metrics.k8s.io", "pods", ("v1beta1",), "pod metrics")
NODE_METRICS = Kind("metrics.k8s.io", "nodes", ("v1beta1",), "node metrics")

WORKLOADS = {k.resource: k for k in (DEPLOYMENTS, STATEFULSETS, DAEMONSETS, CRONJOBS)}


def served(cluster: Cluster, kind: Kind) -> ResourceType | None:
    """The version of `kind` the cluster serves, or None when it serves none Pilothouse reads."""
    return cluster.discover().find(kind.group, kind.resource, kind.versions)


def require(cluster: Cluster, kind: Kind) -> ResourceType:
    found = served(cluster, kind)
    if found is None:
        versions = ", ".join(f"{kind.group}/{v}" if kind.group else v for v in kind.versions)
        raise ClusterError(
            f"Cluster `{cluster.name}` serves no {kind.label} API Pilothouse knows ({versions}).",
            cluster=cluster.name,
        )
    return found


def resolve(cluster: Cluster, word: str) -> ResourceType:
    """The resource a person means by `word` (`sts`, `certificates.cert-manager.io`), found by
    discovery, read again once when it is not there (a CRD installed a moment ago)."""
    found = cluster.discover().resolve(word)
    if found is None:
        catalog = cluster.discover(refresh=True)
        found = catalog.resolve(word)
        if found is None:
            raise UnknownKind(word, cluster=cluster.name, suggestions=catalog.suggestions(word))
    return found
