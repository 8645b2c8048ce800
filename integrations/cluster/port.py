"""The `Cluster` port: everything Pilothouse asks of a Kubernetes cluster.

Two implementations: `KubeCluster` (the official client, against a real API server) and
`SimulatedCluster` (in-process, the zero-setup demo). Contract tests run the same scenarios
against both. Methods raise only `commands.errors.ClusterError` subclasses.

`namespace=None` on a list means every namespace.

**Views.** Everything done for a person goes through `cluster.view(identity, gate)`: a view
shares the cluster's one connection pool and adds, on every request it makes, the person's
Kubernetes identity (impersonation) and the policy's namespace gate. Both are applied at one
choke point of each implementation (`KubeCluster._open`, `SimulatedCluster._authorize`), so a
method added to the port is covered by writing it the usual way: through `_open`, or by calling
`_authorize(verb, resource, namespace)` first in the simulator.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from commands.errors import ConfigError
from integrations.cluster.discovery import Catalog, ResourceType
from integrations.cluster.model import (
    AccessRules,
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
    SecretInfo,
)
from integrations.cluster.patches import Patch
from integrations.cluster.tables import ServerTable

FIELD_MANAGER = "pilothouse"
T = TypeVar("T")


RESERVED_PREFIX = "system:"  # Kubernetes' own users and groups (system:masters is cluster-admin)


@dataclass(frozen=True, slots=True)
class Identity:
    """Who Kubernetes sees for a person: sent as `Impersonate-User` and one `Impersonate-Group`
    per group, so Kubernetes RBAC applies to them and not to Pilothouse's own credentials."""

    user: str
    groups: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (self.user, *self.groups):
            if not name or name.startswith(RESERVED_PREFIX):
                raise ConfigError(
                    f"Pilothouse never impersonates `{name}`: `{RESERVED_PREFIX}` names are Kubernetes' own.",
                    hint="Check PILOTHOUSE_IMPERSONATE_USER_PREFIX and PILOTHOUSE_IMPERSONATE_GROUP_PREFIX.",
                )

    def __str__(self) -> str:
        groups = f" (groups {', '.join(self.groups)})" if self.groups else " (no groups)"
        return self.user + groups


class NamespaceGate(Protocol):
    """The policy's say over which namespaces a view may reach."""

    def allows(self, namespace: str) -> bool:
        """For items of a cluster-wide list: keep them? (Refusals are counted for the reply.)"""
        ...

    def check(self, namespace: str) -> None:
        """Before a request in one namespace: raise `PolicyDenied` if the person may not."""
        ...


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
    identity: str  # who the cluster sees: the kubeconfig user, the service account, or an impersonated person
    impersonating: Identity | None  # set on a view that impersonates

    def view(self, identity: Identity | None, gate: NamespaceGate | None = None) -> Cluster:
        """This cluster as one person sees it (see the module docstring); the same pool."""
        ...

    def info(self) -> ClusterInfo: ...

    def access_rules(self, namespace: str) -> AccessRules:
        """What the identity of this view may do in `namespace` (SelfSubjectRulesReview)."""
        ...

    def list_secrets(self, namespace: str | None, selector: str | None = None) -> list[SecretInfo]:
        """Names, types and key names only: the values never leave the adapter."""
        ...

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
