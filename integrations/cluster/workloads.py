"""The one write path for workloads: every change to a Deployment, StatefulSet, DaemonSet,
CronJob, HPA or node goes through `change` here, over the generic `Cluster` port.

`change` reads the object, builds the patch body (integrations.cluster.patches), guards it with
the resourceVersion it was based on and the change-cause, and sends it with field manager
`pilothouse` (server-side dry run when asked). Controllers update status all the time and each
update bumps the resourceVersion: a 409 with the generation (the spec) unchanged is retried on
fresh state; when the spec itself changed meanwhile, the change is reported, never forced.
Both `KubeCluster` and `SimulatedCluster` are driven through it, so the simulator receives
exactly the bodies the API server does.
"""

from __future__ import annotations

import copy
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from commands.errors import Conflict, Invalid
from integrations.cluster import patches, resources, rollout
from integrations.cluster.discovery import ResourceType
from integrations.cluster.model import CHANGE_CAUSE, REVISION, Json, selector_string, timestamp
from integrations.cluster.patches import Patch
from integrations.cluster.port import Cluster
from integrations.cluster.rollout import Rollback

PATCH_ATTEMPTS = 5  # status updates by controllers conflict often and harmlessly
MANUAL_RUN = "cronjob.kubernetes.io/instantiate"  # what `kubectl create job --from=cronjob/...` sets

Build = Callable[[Json], Patch | None]


def change(
    cluster: Cluster,
    resource: ResourceType,
    namespace: str | None,
    name: str,
    build: Build | Patch,
    *,
    cause: str | None,
    dry_run: bool,
) -> Json:
    """Patch one object, guarded by the resourceVersion it was based on; the object as stored
    (or, with `dry_run`, as it would be). `build` returning None means nothing to change."""
    base_generation = None
    for attempt in range(PATCH_ATTEMPTS):
        if attempt:
            time.sleep(0.05 * 2**attempt)  # let the controller's status updates settle
        current = cluster.get_object(resource, namespace, name)
        generation = current["metadata"].get("generation")
        if base_generation is not None and generation != base_generation:
            raise Conflict(
                f"{resource.label} `{name}` was changed by someone else meanwhile on cluster `{cluster.name}` "
                f"(generation {base_generation} → {generation}).",
                cluster=cluster.name,
                hint="Nothing was changed by Pilothouse; look at its state and try again.",
            )
        base_generation = generation
        patch = build(current) if callable(build) else build
        if patch is None:
            return current
        guarded = patch.guarded(current["metadata"]["resourceVersion"], cause)
        try:
            return cluster.patch_object(resource, namespace, name, guarded, dry_run=dry_run)
        except Conflict:
            continue
    raise Conflict(
        f"{resource.label} `{name}` kept changing on cluster `{cluster.name}`; {PATCH_ATTEMPTS} attempts conflicted.",
        cluster=cluster.name,
        hint="Nothing was changed by Pilothouse; try again in a moment.",
    )


def both(run: Callable[[bool], Json]) -> Json:
    """A change as every change is made: a server-side dry run first (validated, nothing stored), then for real."""
    run(True)
    return run(False)


# --- revisions: ReplicaSets for Deployments, ControllerRevisions for StatefulSets and DaemonSets ----


@dataclass(frozen=True, slots=True)
class Revision:
    number: int
    images: tuple[tuple[str, str], ...]
    change_cause: str | None
    created: datetime | None
    current: bool
    name: str  # the ReplicaSet or ControllerRevision


def _owned(items: list[Json], kind: str, name: str) -> list[Json]:
    return [
        o
        for o in items
        if any(r.get("kind") == kind and r.get("name") == name for r in o["metadata"].get("ownerReferences") or [])
    ]


def _revision_sources(cluster: Cluster, resource: ResourceType, namespace: str, obj: Json) -> list[Json]:
    selector = selector_string((obj["spec"].get("selector") or {}).get("matchLabels") or {})
    if resource.resource == "deployments":
        source = resources.require(cluster, resources.REPLICASETS)
    else:
        source = resources.require(cluster, resources.CONTROLLER_REVISIONS)
    found = cluster.list_objects(source, namespace, lambda o: o, selector=selector or None)
    return _owned(found, obj["kind"] if "kind" in obj else _KIND[resource.resource], obj["metadata"]["name"])


_KIND = {"deployments": "Deployment", "statefulsets": "StatefulSet", "daemonsets": "DaemonSet"}


def _number(source: Json) -> int:
    if "revision" in source:  # a ControllerRevision
        return int(source["revision"])
    return int((source["metadata"].get("annotations") or {}).get(REVISION, 0))


def _source_template(source: Json) -> Json:
    if "revision" in source:
        data = copy.deepcopy((source.get("data") or {}).get("spec", {}).get("template") or {})
        data.pop("$patch", None)
        return data
    return rollout.template_of(source)


def history(cluster: Cluster, resource: ResourceType, namespace: str, name: str) -> list[Revision]:
    obj = cluster.get_object(resource, namespace, name)
    sources = sorted(_revision_sources(cluster, resource, namespace, obj), key=_number)
    current = _current_revision(resource, obj, sources)
    return [
        Revision(
            number=_number(s),
            images=tuple(
                (c["name"], c.get("image", "")) for c in _source_template(s).get("spec", {}).get("containers", [])
            ),
            change_cause=(s["metadata"].get("annotations") or {}).get(CHANGE_CAUSE),
            created=timestamp(s["metadata"].get("creationTimestamp")),
            current=_number(s) == current,
            name=s["metadata"]["name"],
        )
        for s in sources
    ]


def _current_revision(resource: ResourceType, obj: Json, sources: list[Json]) -> int:
    if resource.resource == "deployments":
        return int((obj["metadata"].get("annotations") or {}).get(REVISION, 0))
    if resource.resource == "statefulsets":
        update = (obj.get("status") or {}).get("updateRevision")
        named = next((s for s in sources if s["metadata"]["name"] == update), None)
        if named is not None:
            return _number(named)
    return max((_number(s) for s in sources), default=0)


def rollback(
    cluster: Cluster,
    resource: ResourceType,
    namespace: str,
    name: str,
    to_revision: int | None,
    *,
    cause: str,
    dry_run: bool,
) -> Rollback:
    """`kubectl rollout undo`: the pod template of `to_revision` (default: the one before the
    current), restored; `skipped` when it already runs that template."""
    planned: list[Rollback] = []

    def restore(current: Json) -> Patch | None:
        sources = _revision_sources(cluster, resource, namespace, current)
        if resource.resource == "deployments":
            try:
                result, template = rollout.plan(current, sources, to_revision)
            except rollout.NoSuchRevision as e:
                raise Invalid(f"Cannot roll back `{name}`: {e}.", cluster=cluster.name) from None
            planned.append(result)
            return None if result.skipped else patches.template(current["spec"]["template"], template)
        target = _target(cluster, name, sources, _current_revision(resource, current, sources), to_revision)
        template = _source_template(target)
        images = tuple((c["name"], c.get("image", "")) for c in template.get("spec", {}).get("containers", []))
        skipped = rollout.same_template(current["spec"]["template"], template)
        planned.append(Rollback(_number(target), images, skipped))
        return None if skipped else patches.revision(target.get("data") or {})

    change(cluster, resource, namespace, name, restore, cause=cause, dry_run=dry_run)
    return planned[-1]


def _target(cluster: Cluster, name: str, sources: list[Json], current: int, to_revision: int | None) -> Json:
    known = sorted(sources, key=_number)
    if to_revision is not None:
        found = next((s for s in known if _number(s) == to_revision), None)
        if found is None:
            listed = ", ".join(str(_number(s)) for s in known) or "none"
            raise Invalid(
                f"Cannot roll back `{name}`: revision {to_revision} is not in the history (revisions: {listed}).",
                cluster=cluster.name,
            )
        return found
    earlier = [s for s in known if _number(s) < current]
    if not earlier:
        raise Invalid(f"Cannot roll back `{name}`: there is no earlier revision to roll back to.", cluster=cluster.name)
    return earlier[-1]


# --- CronJobs: a Job now, as `kubectl create job --from=cronjob/NAME` makes it ---------------------


def job_from_cronjob(cronjob: Json, *, at: str, cause: str) -> Json:
    meta = cronjob["metadata"]
    template = copy.deepcopy(cronjob["spec"]["jobTemplate"])
    suffix = hashlib.sha256(f"{meta['name']}{at}".encode()).hexdigest()[:5]
    job_meta = template.get("metadata") or {}
    annotations = {**(job_meta.get("annotations") or {}), MANUAL_RUN: "manual", CHANGE_CAUSE: cause}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{meta['name'][:44]}-manual-{suffix}",
            "namespace": meta["namespace"],
            "labels": job_meta.get("labels") or {},
            "annotations": annotations,
            "ownerReferences": [
                {
                    "apiVersion": cronjob.get("apiVersion", "batch/v1"),
                    "kind": "CronJob",
                    "name": meta["name"],
                    "uid": meta.get("uid", ""),
                    "controller": True,
                }
            ],
        },
        "spec": template.get("spec") or {},
    }
