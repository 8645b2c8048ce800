"""The kinds the handlers read most, as small typed records, by the one generic read path.

Both `Cluster` implementations inherit these: each is `list_objects`/`get_object` on the
version discovery says the cluster serves, converted by the parsers in `model`. Only events
stay per implementation (the real client filters them on the server).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from commands.errors import ClusterError
from integrations.cluster import resources
from integrations.cluster.discovery import Catalog, ResourceType
from integrations.cluster.model import (
    DeploymentInfo,
    Json,
    NamespaceInfo,
    NodeInfo,
    PodInfo,
    ReplicaSetInfo,
    SecretInfo,
    deployment_from,
    namespace_from,
    node_from,
    pod_from,
    replica_set_from,
    secret_from,
)

T = TypeVar("T")


class TypedReads:
    name: str

    # The generic read path, provided by each implementation.
    def discover(self, *, refresh: bool = False) -> Catalog:
        raise NotImplementedError

    def list_objects(
        self,
        resource: ResourceType,
        namespace: str | None,
        convert: Callable[[Json], T],
        *,
        selector: str | None = None,
    ) -> list[T]:
        raise NotImplementedError

    def get_object(self, resource: ResourceType, namespace: str | None, name: str) -> Json:
        raise NotImplementedError

    def _served(self, kind: resources.Kind) -> ResourceType:
        found = self.discover().find(kind.group, kind.resource, kind.versions)
        if found is None:
            raise ClusterError(f"Cluster `{self.name}` serves no {kind.label} API.", cluster=self.name)
        return found

    def list_pods(self, namespace: str | None, selector: str | None = None) -> list[PodInfo]:
        return self.list_objects(self._served(resources.PODS), namespace, pod_from, selector=selector)

    def list_deployments(self, namespace: str | None, selector: str | None = None) -> list[DeploymentInfo]:
        return self.list_objects(self._served(resources.DEPLOYMENTS), namespace, deployment_from, selector=selector)

    def list_replica_sets(self, namespace: str | None, selector: str | None = None) -> list[ReplicaSetInfo]:
        return self.list_objects(self._served(resources.REPLICASETS), namespace, replica_set_from, selector=selector)

    def list_nodes(self, selector: str | None = None) -> list[NodeInfo]:
        return self.list_objects(self._served(resources.NODES), None, node_from, selector=selector)

    def list_namespaces(self) -> list[NamespaceInfo]:
        return self.list_objects(self._served(resources.NAMESPACES), None, namespace_from)

    def list_secrets(self, namespace: str | None, selector: str | None = None) -> list[SecretInfo]:
        """Names, types and key names: the values are dropped as each page is parsed."""
        return self.list_objects(self._served(resources.SECRETS), namespace, secret_from, selector=selector)

    def get_pod(self, namespace: str, name: str) -> PodInfo:
        """One pod, looked at closely: its environment too (what comes from a Secret, as a reference)."""
        return pod_from(self.get_object(self._served(resources.PODS), namespace, name), env=True)

    def get_deployment(self, namespace: str, name: str) -> DeploymentInfo:
        return deployment_from(self.get_object(self._served(resources.DEPLOYMENTS), namespace, name))
