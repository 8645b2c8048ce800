"""The simulated cluster's other controllers: StatefulSets, DaemonSets, Jobs and HPAs.

Each plays what its Kubernetes controller does, at once: ControllerRevisions for every pod
template (revision numbers as the controllers number them, an old template's revision revived
on rollback), StatefulSet pods by ordinal honouring `partition` and `OnDelete`, one DaemonSet
pod per node that should run one (taints and nodeSelector), Jobs run to completion or failure,
HPAs holding their target within min/max. A template whose pods would fail stops a rolling
update where the controller would stop: after the first broken pod.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from integrations.cluster.model import Json, pod_from

HASH_LABEL = "controller-revision-hash"
TEMPLATE_GENERATION = "pod-template-generation"
_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _hash(template: Json) -> str:
    digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).digest()
    return "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[:10])


def tolerates(pod_spec: Json, taint: Json) -> bool:
    for t in pod_spec.get("tolerations") or []:
        if t.get("effect") not in (None, "", taint.get("effect")):
            continue
        if t.get("operator") == "Exists" and t.get("key") in (None, "", taint.get("key")):
            return True
        if t.get("key") == taint.get("key") and t.get("value", "") == taint.get("value", ""):
            return True
    return False


def should_run(pod_spec: Json, node: Json) -> bool:
    """Whether a DaemonSet pod belongs on `node`: its nodeSelector matches and every NoSchedule or
    NoExecute taint is tolerated (DaemonSet pods tolerate `unschedulable`, as the controller adds)."""
    labels = node["metadata"].get("labels") or {}
    if any(labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    for taint in (node.get("spec") or {}).get("taints") or []:
        blocking = taint.get("effect") in ("NoSchedule", "NoExecute") and not tolerates(pod_spec, taint)
        if blocking and taint.get("key") != "node.kubernetes.io/unschedulable":
            return False
    return True


class SimulatedWorkloads:
    """Mixed into SimulatedCluster, whose store (`_put`, `_all`, `_remove`, `_objects`) it uses."""

    _objects: dict[str, dict[tuple[str, str], Json]]

    # Provided by SimulatedCluster.
    def _put(self, kind: str, obj: Json) -> None:
        raise NotImplementedError

    def _remove(self, kind: str, namespace: str, name: str) -> None:
        raise NotImplementedError

    def _all(self, kind: str, namespace: str | None, selector: str | None = None) -> list[Json]:
        raise NotImplementedError

    def _make_pod(
        self, owner: Json, name: str, template: Json, labels: dict[str, str], at: datetime, node: str | None = None
    ) -> Json:
        raise NotImplementedError

    def _would_be_ready(self, template: Json) -> bool:
        raise NotImplementedError

    # --- ControllerRevisions --------------------------------------------------------------------

    def _revisions(self, owner: Json) -> list[Json]:
        meta = owner["metadata"]
        return sorted(
            (
                r
                for r in self._all("controllerrevisions", meta["namespace"])
                if any(o.get("name") == meta["name"] and o.get("kind") == owner["kind"]
                       for o in r["metadata"].get("ownerReferences") or [])
            ),
            key=lambda r: int(r["revision"]),
        )  # fmt: skip

    def _snapshot(self, owner: Json, at: datetime) -> Json:
        """The ControllerRevision of the owner's template: found (and renumbered newest, as on a
        rollback) or made, as the StatefulSet and DaemonSet controllers do."""
        template = copy.deepcopy(owner["spec"]["template"])
        digest = _hash(template)
        revisions = self._revisions(owner)
        newest = max((int(r["revision"]) for r in revisions), default=0)
        found = next((r for r in revisions if r["metadata"]["labels"].get(HASH_LABEL) == digest), None)
        annotations = dict(owner["metadata"].get("annotations") or {})
        if found is not None:  # revived: renumbered, its annotations (change-cause) as they were made
            if int(found["revision"]) != newest:
                found["revision"] = newest + 1
                self._put("controllerrevisions", found)
            return found
        meta = owner["metadata"]
        revision = {
            "apiVersion": "apps/v1",
            "kind": "ControllerRevision",
            "metadata": {
                "name": f"{meta['name']}-{digest}",
                "namespace": meta["namespace"],
                "labels": {**(template.get("metadata", {}).get("labels") or {}), HASH_LABEL: digest},
                "annotations": annotations,
                "creationTimestamp": _iso(at),
                "ownerReferences": [
                    {"apiVersion": "apps/v1", "kind": owner["kind"], "name": meta["name"], "controller": True}
                ],
            },
            "data": {"spec": {"template": {**template, "$patch": "replace"}}},
            "revision": newest + 1,
        }
        self._put("controllerrevisions", revision)
        return revision

    def _owned_pods(self, owner: Json) -> list[Json]:
        meta = owner["metadata"]
        return [
            p
            for p in self._all("pods", meta["namespace"])
            if any(o.get("name") == meta["name"] and o.get("kind") == owner["kind"]
                   for o in p["metadata"].get("ownerReferences") or [])
        ]  # fmt: skip

    def _pod_works(self, pod: Json) -> bool:
        info = pod_from(pod)
        return bool(info.total) and info.ready == info.total

    # --- StatefulSets ------------------------------------------------------------------------------

    def _reconcile_stateful_set(self, sts: Json, at: datetime) -> None:
        spec, meta = sts["spec"], sts["metadata"]
        update = self._snapshot(sts, at)
        update_hash = update["metadata"]["name"]  # StatefulSet pods carry the revision's name
        strategy = spec.get("updateStrategy") or {"type": "RollingUpdate"}
        partition = int((strategy.get("rollingUpdate") or {}).get("partition", 0))
        replicas = int(spec.get("replicas", 1))
        pods = {p["metadata"]["name"]: p for p in self._owned_pods(sts)}
        for name in list(pods):
            if int(name.rsplit("-", 1)[1]) >= replicas:
                self._remove("pods", meta["namespace"], name)
                del pods[name]
        template = spec["template"]
        works = self._would_be_ready(template)
        # Updated from the highest ordinal down, each waiting for the one before to be ready.
        for ordinal in reversed(range(replicas)):
            name = f"{meta['name']}-{ordinal}"
            pod = pods.get(name)
            if pod is None:  # new, or deleted: OnDelete brings it back at the update revision
                on_update = strategy.get("type") == "OnDelete" or ordinal >= partition
                self._stateful_pod(sts, ordinal, update if on_update else None, at)
                continue
            stale = pod["metadata"]["labels"].get(HASH_LABEL) != update_hash
            if stale and strategy.get("type") != "OnDelete" and ordinal >= partition:
                self._remove("pods", meta["namespace"], name)
                created = self._stateful_pod(sts, ordinal, update, at)
                if not works or not self._pod_works(created):
                    break  # the controller waits for this pod to be ready: it never will be
        sts["status"] = self._stateful_status(sts, update)

    def _stateful_pod(self, sts: Json, ordinal: int, revision: Json | None, at: datetime) -> Json:
        """Pod `NAME-ordinal` of the given revision (None: the current revision, below a partition)."""
        if revision is None:
            current = sts.get("status", {}).get("currentRevision")
            revision = next((r for r in self._revisions(sts) if r["metadata"]["name"] == current), None)
            revision = revision or self._revisions(sts)[-1]
        template = copy.deepcopy(revision["data"]["spec"]["template"])
        template.pop("$patch", None)
        name = f"{sts['metadata']['name']}-{ordinal}"
        labels = {
            **(template.get("metadata", {}).get("labels") or {}),
            HASH_LABEL: revision["metadata"]["name"],
            "statefulset.kubernetes.io/pod-name": name,
        }
        return self._make_pod(sts, name, template, labels, at)

    def _stateful_status(self, sts: Json, update: Json) -> Json:
        pods = self._owned_pods(sts)
        update_hash = update["metadata"]["name"]  # StatefulSet pods carry the revision's name
        updated = [p for p in pods if p["metadata"]["labels"].get(HASH_LABEL) == update_hash]
        previous = sts.get("status", {}).get("currentRevision") or update["metadata"]["name"]
        replicas = int(sts["spec"].get("replicas", 1))
        current = update["metadata"]["name"] if len(updated) == replicas else previous
        current_hash = current
        return {
            "observedGeneration": sts["metadata"]["generation"],
            "replicas": len(pods),
            "readyReplicas": sum(1 for p in pods if self._pod_works(p)),
            "currentReplicas": sum(1 for p in pods if p["metadata"]["labels"].get(HASH_LABEL) == current_hash),
            "updatedReplicas": len(updated),
            "currentRevision": current,
            "updateRevision": update["metadata"]["name"],
            "collisionCount": 0,
        }

    # --- DaemonSets ---------------------------------------------------------------------------------

    def _reconcile_daemon_set(self, ds: Json, at: datetime) -> None:
        meta, spec = ds["metadata"], ds["spec"]
        update = self._snapshot(ds, at)
        update_hash = update["metadata"]["labels"][HASH_LABEL]
        template = spec["template"]
        wanted = [n for n in self._all("nodes", "") if should_run(template.get("spec", {}), n)]
        wanted_names = {n["metadata"]["name"] for n in wanted}
        by_node: dict[str, Json] = {}
        for pod in self._owned_pods(ds):
            node = pod["spec"].get("nodeName")
            if node in wanted_names and node not in by_node:
                by_node[node] = pod
            else:
                self._remove("pods", meta["namespace"], pod["metadata"]["name"])
        works = self._would_be_ready(template)
        rolling = (spec.get("updateStrategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"
        broken = 0  # maxUnavailable 1: one pod of a failing template, then the controller waits
        for node in sorted(wanted_names):
            running = by_node.get(node)
            stale = running is not None and running["metadata"]["labels"].get(HASH_LABEL) != update_hash
            if running is not None and not (stale and rolling):
                continue
            if running is not None:
                if not works and broken >= 1:
                    continue
                self._remove("pods", meta["namespace"], running["metadata"]["name"])
            broken += 0 if works else 1
            self._daemon_pod(ds, update, node, at)
        ds["status"] = self._daemon_status(ds, update_hash, len(wanted_names))

    def _daemon_pod(self, ds: Json, revision: Json, node: str, at: datetime) -> Json:
        template = copy.deepcopy(revision["data"]["spec"]["template"])
        template.pop("$patch", None)
        index = 0
        while True:
            seed = f"{ds['metadata']['name']}{node}{revision['metadata']['name']}{index}"
            suffix = "".join(_ALPHABET[b % len(_ALPHABET)] for b in hashlib.sha256(seed.encode()).digest()[:5])
            name = f"{ds['metadata']['name']}-{suffix}"
            if name not in getattr(self, "_gone", set()):
                break
            index += 1
        labels = {
            **(template.get("metadata", {}).get("labels") or {}),
            HASH_LABEL: revision["metadata"]["labels"][HASH_LABEL],
            TEMPLATE_GENERATION: str(ds["metadata"]["generation"]),
        }
        return self._make_pod(ds, name, template, labels, at, node=node)

    def _daemon_status(self, ds: Json, update_hash: str, desired: int) -> Json:
        pods = self._owned_pods(ds)
        ready = sum(1 for p in pods if self._pod_works(p))
        return {
            "observedGeneration": ds["metadata"]["generation"],
            "desiredNumberScheduled": desired,
            "currentNumberScheduled": len(pods),
            "numberMisscheduled": 0,
            "numberReady": ready,
            "numberAvailable": ready,
            "numberUnavailable": max(0, desired - ready),
            "updatedNumberScheduled": sum(1 for p in pods if p["metadata"]["labels"].get(HASH_LABEL) == update_hash),
        }

    # --- Jobs ---------------------------------------------------------------------------------------

    def _run_job(self, job: Json, at: datetime) -> None:
        """Start the Job's pod; it succeeds, or fails by the demo's rule (a broken image waits)."""
        meta, spec = job["metadata"], job["spec"]
        uid = meta.setdefault("uid", hashlib.sha256(f"{meta['namespace']}/{meta['name']}".encode()).hexdigest()[:32])
        spec.setdefault("selector", {"matchLabels": {"controller-uid": uid}})
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completions", 1)
        template = copy.deepcopy(spec["template"])
        labels = {**(template.get("metadata", {}).get("labels") or {}), "controller-uid": uid, "job-name": meta["name"]}
        template.setdefault("metadata", {})["labels"] = labels
        spec["template"] = template
        suffix = "".join(_ALPHABET[b % len(_ALPHABET)] for b in hashlib.sha256(uid.encode()).digest()[:5])
        pod = self._make_pod(job, f"{meta['name']}-{suffix}", template, labels, at)
        job["status"] = job_status(job, [pod], at)

    # --- HorizontalPodAutoscalers -------------------------------------------------------------------

    def _reconcile_autoscalers(self, namespace: str) -> Iterable[tuple[str, Json, int]]:
        """(resource, target, replicas) for targets outside their HPA's limits; statuses refreshed."""
        for hpa in self._all("horizontalpodautoscalers", namespace):
            ref = hpa["spec"].get("scaleTargetRef") or {}
            resource = {"Deployment": "deployments", "StatefulSet": "statefulsets"}.get(ref.get("kind", ""))
            target = self._objects.get(resource or "", {}).get((namespace, ref.get("name", "")))
            if target is None:
                continue
            replicas = int(target["spec"].get("replicas", 1))
            low, high = int(hpa["spec"].get("minReplicas", 1)), int(hpa["spec"].get("maxReplicas", 1))
            wanted = min(max(replicas, low), high) if replicas else 0
            # With no metrics to read, the controller sets a desired count only when it rescales.
            hpa["status"] = autoscaler_status(replicas, wanted if wanted != replicas else 0)
            self._put("horizontalpodautoscalers", hpa)
            if wanted != replicas:
                yield resource or "", target, wanted


def job_status(job: Json, pods: list[Json], at: datetime) -> Json:
    """A Job's status from its pods, as the Job controller writes it."""
    infos = [pod_from(p) for p in pods]
    succeeded = sum(1 for i in infos if i.phase == "Succeeded")
    failed = sum(1 for i in infos if i.phase == "Failed")
    status: dict[str, Any] = {"startTime": _iso(at)}
    if succeeded >= int(job["spec"].get("completions", 1)):
        status.update(succeeded=succeeded, completionTime=_iso(at))
        status["conditions"] = [{"type": "Complete", "status": "True", "lastProbeTime": _iso(at),
                                 "lastTransitionTime": _iso(at)}]  # fmt: skip
    elif failed > int(job["spec"].get("backoffLimit", 6)):
        status["failed"] = failed
        status["conditions"] = [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                                 "message": "Job has reached the specified backoff limit",
                                 "lastProbeTime": _iso(at), "lastTransitionTime": _iso(at)}]  # fmt: skip
    else:
        status["active"] = len(infos) - succeeded - failed
        if failed:
            status["failed"] = failed
    return status


def autoscaler_status(current: int, desired: int) -> Json:
    """What the HPA controller writes with no metrics API to read (no metrics-server, as on the test cluster)."""
    return {
        "currentReplicas": current,
        "desiredReplicas": desired,
        "currentMetrics": None,
        "conditions": [
            {"type": "AbleToScale", "status": "True", "reason": "SucceededGetScale",
             "message": "the HPA controller was able to get the target's current scale"},
            {"type": "ScalingActive", "status": "False", "reason": "FailedGetResourceMetric",
             "message": "the HPA was unable to compute the replica count: unable to get metrics for resource cpu: "
                        "unable to fetch metrics from resource metrics API: the server could not find the requested "
                        "resource (get pods.metrics.k8s.io)"},
        ],
    }  # fmt: skip
