"""The `Cluster` port: everything Pilothouse asks of a Kubernetes cluster.

Two implementations: `KubeCluster` (the official client, against a real API server) and
`SimulatedCluster` (in-process, the zero-setup demo). Contract tests run the same scenarios
against both. Methods raise only `commands.errors.ClusterError` subclasses.

`namespace=None` on a list means every namespace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Protocol, TypeVar

from integrations.cluster.discovery import Catalog, ResourceType
from integrations.cluster.model import (
    ClusterInfo,
    DeploymentInfo,
    EventInfo,
    Json,
    LogText,
    NamespaceInfo,
    NodeInfo,
    PodChange,
    PodInfo,
    ReplicaSetInfo,
)
from integrations.cluster.patches import Patch
from integrations.cluster.tables import ServerTable

FIELD_MANAGER = "pilothouse"
T = TypeVar("T")


class Cancel:
    """Ends watches from another thread at once, rather than when their requests time out."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callbacks: list[Callable[[], None]] = []
        self.cancelled = False

    def on_cancel(self, callback: Callable[[], None]) -> None:
        with self._lock:
            if not self.cancelled:
                self._callbacks.append(callback)
                return
        callback()

    def cancel(self) -> None:
        with self._lock:
            self.cancelled = True
            callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback()


class Cluster(Protocol):
    name: str
    default_namespace: str
    identity: str  # who the cluster sees: the kubeconfig user, or the service account

    def info(self) -> ClusterInfo: ...

    def list_pods(self, namespace: str | None, selector: str | None = None) -> list[PodInfo]: ...

    def list_deployments(self, namespace: str | None, selector: str | None = None) -> list[DeploymentInfo]: ...

    def list_replica_sets(self, namespace: str | None, selector: str | None = None) -> list[ReplicaSetInfo]: ...

    def list_nodes(self, selector: str | None = None) -> list[NodeInfo]: ...

    def list_events(self, namespace: str | None, involved: str | None = None) -> list[EventInfo]:
        """Events, optionally only those about the object named `involved`."""
        ...

    def list_namespaces(self) -> list[NamespaceInfo]: ...

    def get_pod(self, namespace: str, name: str) -> PodInfo: ...

    def get_deployment(self, namespace: str, name: str) -> DeploymentInfo: ...

    def pod_logs(self, namespace: str, pod: str, container: str, tail: int, previous: bool = False) -> LogText:
        """The last `tail` lines, bounded (LogText says what was cut)."""
        ...

    # --- watches: the state now (when `since` is empty), then each change, for up to `timeout` s.
    # Resume with the last `resource_version` seen; an expired one starts over with the state now.
    # After `cancel.cancel()` the watch ends soon (possibly with ClusterError).

    def watch_pods(
        self, namespace: str, selector: str, *, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[PodChange]: ...

    # --- any kind, by its resource type (from `discover`) -------------------------------------

    def discover(self, *, refresh: bool = False) -> Catalog:
        """Every resource the cluster serves (cached; `refresh` reads it again unless just read)."""
        ...

    def list_objects(
        self,
        resource: ResourceType,
        namespace: str | None,
        convert: Callable[[Json], T],
        *,
        selector: str | None = None,
    ) -> list[T]:
        """Every object, each converted as it is read (pages of 500, the JSON dropped page by page)."""
        ...

    def get_object(self, resource: ResourceType, namespace: str | None, name: str) -> Json: ...

    def table(
        self, resource: ResourceType, namespace: str | None, *, name: str | None = None, selector: str | None = None
    ) -> ServerTable:
        """The API server's own table printing of a list (or of one object): kubectl's columns."""
        ...

    def watch_object(
        self, resource: ResourceType, namespace: str, name: str, *, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[Json]:
        """The object now (when `since` is empty), then each change; NotFound when it is deleted."""
        ...

    # --- changes: field manager "pilothouse"; bodies from integrations.cluster.patches ----------

    def patch_object(
        self, resource: ResourceType, namespace: str | None, name: str, patch: Patch, *, dry_run: bool
    ) -> Json:
        """Apply `patch` (a precondition on metadata.resourceVersion in it is honoured: 409 when stale);
        with `dry_run` the API server validates and answers with the result, storing nothing."""
        ...

    def create_object(self, resource: ResourceType, namespace: str, obj: Json, *, dry_run: bool) -> Json: ...

    def delete_object(self, resource: ResourceType, namespace: str | None, name: str, *, dry_run: bool) -> None: ...
