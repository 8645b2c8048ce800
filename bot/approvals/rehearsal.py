"""A rehearsal: the change's own handler run against the cluster with every write turned into
a server-side dry run, so what would happen is seen and nothing happens.

It gives the two things an approval is bound to: the preview people approve (what the handler
reports it would do) and the plan digest, a SHA-256 of the exact action and of the objects the
handler read to plan it (their spec, labels and annotations, never status). Repeated just
before the change runs, a different digest means the cluster moved (someone deployed
meanwhile): the approved request is superseded, never run on a stale plan.

The shared store is rehearsed too (a digest schedule, a lock): the handler's writes land in an
overlay the rehearsal throws away, so a change kept in the store waits for approval as well.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from integrations.cluster.clusters import Clusters
from integrations.cluster.discovery import ResourceType
from integrations.cluster.model import Json
from integrations.cluster.patches import Patch
from integrations.cluster.port import Cluster
from integrations.store.port import Change, Store

T = TypeVar("T")

# Annotations that change without the object's intent changing.
VOLATILE_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration",)


class Rehearsal:
    """The objects read while planning, by (resource, namespace, name), and the writes tried."""

    def __init__(self) -> None:
        self.read: dict[str, Json] = {}
        self.writes: list[str] = []

    def clusters(self, views: Clusters) -> Clusters:
        return Clusters([Rehearsed(c, self) for c in views], views.default)

    def store(self, store: Store) -> RehearsedStore:
        return RehearsedStore(store, self)

    def digest(self, arguments: Mapping[str, Any]) -> str:
        plan = {"action": arguments, "read": {k: _intent(v) for k, v in sorted(self.read.items())}}
        return hashlib.sha256(json.dumps(plan, sort_keys=True, default=str).encode()).hexdigest()


class Rehearsed:
    """A cluster view whose writes are dry runs, recording what was read to plan them."""

    def __init__(self, cluster: Cluster, rehearsal: Rehearsal) -> None:
        self._cluster = cluster
        self._rehearsal = rehearsal

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cluster, name)

    def view(self, identity: Any, gate: Any = None) -> Rehearsed:
        return Rehearsed(self._cluster.view(identity, gate), self._rehearsal)

    def get_object(self, resource: ResourceType, namespace: str | None, name: str) -> Json:
        obj = self._cluster.get_object(resource, namespace, name)
        self._rehearsal.read[f"{self._cluster.name}/{resource.resource}/{namespace or ''}/{name}"] = obj
        return obj

    def patch_object(
        self, resource: ResourceType, namespace: str | None, name: str, patch: Patch, *, dry_run: bool
    ) -> Json:
        self._rehearsal.writes.append(f"patch {resource.resource}/{name}")
        return self._cluster.patch_object(resource, namespace, name, patch, dry_run=True)

    def create_object(self, resource: ResourceType, namespace: str, obj: Json, *, dry_run: bool) -> Json:
        self._rehearsal.writes.append(f"create {resource.resource}")
        return self._cluster.create_object(resource, namespace, obj, dry_run=True)

    def delete_object(self, resource: ResourceType, namespace: str | None, name: str, *, dry_run: bool) -> None:
        self._rehearsal.writes.append(f"delete {resource.resource}/{name}")
        self._cluster.delete_object(resource, namespace, name, dry_run=True)


class RehearsedStore:
    """The shared store as a rehearsal sees it: reads go through, writes stay in an overlay."""

    def __init__(self, store: Store, rehearsal: Rehearsal) -> None:
        self._store = store
        self._rehearsal = rehearsal
        self._overlay: dict[str, str | None] = {}

    def ping(self) -> None:
        self._store.ping()

    def get(self, key: str) -> str | None:
        return self._overlay[key] if key in self._overlay else self._store.get(key)

    def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        self._rehearsal.writes.append(f"store {key}")
        self._overlay[key] = value

    def update(self, key: str, change: Callable[[str | None], Change[T]]) -> T:
        decided = change(self.get(key))
        if not decided.keep:
            self._rehearsal.writes.append(f"store {key}")
            self._overlay[key] = decided.value
        return decided.result

    def delete(self, key: str) -> bool:
        existed = self.get(key) is not None
        self._rehearsal.writes.append(f"store {key}")
        self._overlay[key] = None
        return existed

    def stream_add(self, key: str, value: str, *, max_len: int, min_id: str | None = None) -> str:
        self._rehearsal.writes.append(f"store {key}")
        return "0-0"

    def stream_range(
        self, key: str, *, start: str = "-", end: str = "+", count: int = 100, newest_first: bool = False
    ) -> list[tuple[str, str]]:
        return self._store.stream_range(key, start=start, end=end, count=count, newest_first=newest_first)


def _intent(obj: Json) -> Json:
    """What the object is meant to be: its spec (or data), labels and annotations; not status,
    not the bookkeeping metadata that moves on every status update."""
    meta = obj.get("metadata", {})
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in VOLATILE_ANNOTATIONS}
    return {
        "spec": obj.get("spec"),
        "labels": meta.get("labels") or {},
        "annotations": annotations,
        "uid": meta.get("uid"),
    }
