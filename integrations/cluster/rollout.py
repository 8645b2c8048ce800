"""Rollback as `kubectl rollout undo` does it, over API JSON, for both Cluster implementations.

Pure functions: pick the ReplicaSet of the wanted revision, and tell whether its pod template
is already the Deployment's (then the rollback is skipped, as kubectl skips it).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from integrations.cluster.model import REVISION, Json

TEMPLATE_HASH = "pod-template-hash"


class NoSuchRevision(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Rollback:
    revision: int  # the revision whose template is restored
    images: tuple[tuple[str, str], ...]
    skipped: bool  # the Deployment already runs that template


def owned_by(deployment: Json, replica_sets: list[Json]) -> list[Json]:
    name = deployment["metadata"]["name"]
    return [
        rs
        for rs in replica_sets
        if any(
            o.get("kind") == "Deployment" and o.get("name") == name for o in rs["metadata"].get("ownerReferences") or []
        )
    ]


def _revision(rs: Json) -> int:
    return int((rs["metadata"].get("annotations") or {}).get(REVISION, 0))


def template_of(rs: Json) -> Json:
    """The ReplicaSet's pod template as the Deployment would carry it (without the hash label)."""
    template: Json = copy.deepcopy(rs["spec"]["template"])
    (template.get("metadata", {}).get("labels") or {}).pop(TEMPLATE_HASH, None)
    return template


def target(deployment: Json, replica_sets: list[Json], to_revision: int | None) -> Json:
    """The ReplicaSet to roll back to: `to_revision`, or the one before the current revision."""
    owned = sorted(owned_by(deployment, replica_sets), key=_revision)
    if to_revision is not None:
        found = next((rs for rs in owned if _revision(rs) == to_revision), None)
        if found is None:
            known = ", ".join(str(_revision(rs)) for rs in owned) or "none"
            raise NoSuchRevision(f"revision {to_revision} is not in the history (revisions: {known})")
        return found
    current = int((deployment["metadata"].get("annotations") or {}).get(REVISION, 0))
    earlier = [rs for rs in owned if _revision(rs) < current]
    if not earlier:
        raise NoSuchRevision("there is no earlier revision to roll back to")
    return earlier[-1]


def plan(deployment: Json, replica_sets: list[Json], to_revision: int | None) -> tuple[Rollback, Json]:
    """What a rollback would do, and the pod template to set."""
    rs = target(deployment, replica_sets, to_revision)
    template = template_of(rs)
    containers = template.get("spec", {}).get("containers", [])
    images = tuple((c["name"], c.get("image", "")) for c in containers)
    current = copy.deepcopy(deployment["spec"]["template"])
    (current.get("metadata", {}).get("labels") or {}).pop(TEMPLATE_HASH, None)
    return Rollback(_revision(rs), images, skipped=same_template(current, template)), template


def same_template(a: Json, b: Json) -> bool:
    # The API server fills defaults into stored templates; compare what a person set.
    def essentials(t: Json) -> tuple[object, ...]:
        spec = t.get("spec", {})
        containers = [
            (c.get("name"), c.get("image"), c.get("command"), c.get("args"), c.get("env"))
            for c in spec.get("containers", [])
        ]
        meta = t.get("metadata", {})
        return (meta.get("labels") or {}, meta.get("annotations") or {}, containers, spec.get("nodeSelector"))

    def clean(t: Json) -> Json:
        t = copy.deepcopy(t)
        (t.get("metadata", {}).get("labels") or {}).pop(TEMPLATE_HASH, None)
        return t

    return essentials(clean(a)) == essentials(clean(b))
