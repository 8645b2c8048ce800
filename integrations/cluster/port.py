"""The `Cluster` port: everything Pilothouse asks of a Kubernetes cluster.

Two implementations: `KubeCluster` (the official client, against a real API server) and
`SimulatedCluster` (in-process, the zero-setup demo). Contract tests run the same scenarios
against both. Methods raise only `commands.errors.ClusterError` subclasses.

`namespace=None` on a list means every namespace.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from integrations.cluster.model import (
    ClusterInfo,
    DeploymentInfo,
    EventInfo,
    LogText,
    NamespaceInfo,
    NodeInfo,
    PodChange,
    PodInfo,
    ReplicaSetInfo,
)
from integrations.cluster.rollout import Rollback

FIELD_MANAGER = "pilothouse"
RESTARTED_AT = "kubectl.kubernetes.io/restartedAt"  # kubectl's annotation, so both tools agree


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

    # --- watches: the state now (when `since` is empty), then each change, for up to `timeout` s ---

    def watch_deployment(
        self, namespace: str, name: str, *, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[DeploymentInfo]:
        """Raises NotFound if the Deployment is (or gets) deleted. Resume with the last
        `resource_version` seen; an expired one starts over with the state now. After
        `cancel.cancel()` the watch ends soon (possibly with ClusterError)."""
        ...

    def watch_pods(
        self, namespace: str, selector: str, *, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[PodChange]: ...

    # --- changes: field manager "pilothouse", optimistic concurrency, change-cause recorded ---

    def scale_deployment(
        self, namespace: str, name: str, replicas: int, *, cause: str, dry_run: bool
    ) -> DeploymentInfo:
        """Set spec.replicas; with `dry_run` the API server validates and answers, storing nothing."""
        ...

    def restart_deployment(self, namespace: str, name: str, *, cause: str, at: str, dry_run: bool) -> DeploymentInfo:
        """Roll the pods as `kubectl rollout restart` does: stamp the pod template with `at`."""
        ...

    def rollback_deployment(
        self, namespace: str, name: str, to_revision: int | None, *, cause: str, dry_run: bool
    ) -> Rollback:
        """Restore the pod template of `to_revision` (default: the one before the current), as
        `kubectl rollout undo` does; `skipped` when the Deployment already runs it."""
        ...

    def set_paused(self, namespace: str, name: str, paused: bool, *, cause: str, dry_run: bool) -> DeploymentInfo:
        """`kubectl rollout pause/resume`: set spec.paused."""
        ...

    def set_unschedulable(self, node: str, unschedulable: bool, *, dry_run: bool) -> NodeInfo:
        """`kubectl cordon/uncordon`: set the node's spec.unschedulable."""
        ...

    def delete_pod(self, namespace: str, name: str, *, dry_run: bool) -> None:
        """Delete a pod; its ReplicaSet (if any) starts a replacement."""
        ...

    def set_image(
        self, namespace: str, name: str, container: str, image: str, *, cause: str, dry_run: bool
    ) -> DeploymentInfo:
        """Set one container's image (the others, sidecars included, stay as they are)."""
        ...
