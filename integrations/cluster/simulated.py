"""An in-process cluster for the zero-setup demo: objects as API JSON, tiny controllers.

It holds Kubernetes-shaped JSON and plays the parts a real cluster's controllers and kubelet
play (Deployment → ReplicaSet → Pods, scheduling, container states), then answers through the
same parsing as the real client. `schedule` and `pod_status` are also used by the tests' fake
node agent, so the demo and the test control plane fail in the same ways.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from commands.errors import Conflict, Forbidden, Invalid, NotFound
from commands.values import matches
from integrations import deadline
from integrations.cluster import demo, patches, printers, served_1_20
from integrations.cluster.discovery import Catalog, ResourceType
from integrations.cluster.model import (
    REVISION,
    AccessRules,
    ClusterInfo,
    EventInfo,
    Json,
    LogText,
    PodChange,
    PodInfo,
    access_rules_from,
    event_from,
    log_text,
    pod_from,
)
from integrations.cluster.patches import Patch
from integrations.cluster.port import FIELD_MANAGER, Cancel, Identity, NamespaceGate, T
from integrations.cluster.rbac import Attributes, Rbac
from integrations.cluster.simulated_workloads import SimulatedWorkloads
from integrations.cluster.tables import ServerTable
from integrations.cluster.typed import TypedReads

_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # the alphabet Kubernetes uses for name suffixes
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")


def _suffix(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "".join(_NAME_ALPHABET[b % len(_NAME_ALPHABET)] for b in digest[:length])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_is_ready(node: Json) -> bool:
    conditions = node.get("status", {}).get("conditions") or []
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
    return ready and not node.get("spec", {}).get("unschedulable")


def schedule(pod: Json, nodes: Iterable[Json]) -> tuple[str | None, str]:
    """Pick a node as the scheduler would: Ready, schedulable, matching the nodeSelector.

    Returns (node name, "") or (None, the scheduler's FailedScheduling message).
    """
    wanted = pod.get("spec", {}).get("nodeSelector") or {}
    candidates = list(nodes)
    not_ready = mismatched = 0
    for node in candidates:
        labels = node["metadata"].get("labels") or {}
        if not node_is_ready(node):
            not_ready += 1
        elif any(labels.get(k) != v for k, v in wanted.items()):
            mismatched += 1
        else:
            return node["metadata"]["name"], ""
    reasons = []
    if mismatched:
        reasons.append(f"{mismatched} node(s) didn't match node selector")
    if not_ready:
        reasons.append(f"{not_ready} node(s) were not ready")
    return None, f"0/{len(candidates)} nodes are available: {', '.join(reasons)}."


def pod_status(pod: Json, node: str | None, message: str, now: datetime, restarts: int = 14) -> Json:
    """The status a kubelet (or the scheduler, when `node` is None) would write."""
    started = _iso(now)
    if node is None:
        return {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": message,
                    "lastTransitionTime": started,
                }
            ],
        }
    failure = demo.failure_of(pod)
    once = pod["spec"].get("restartPolicy", "Always") == "Never"  # a Job's pod: it ends, for good or ill
    statuses = [_container_status(c, failure, started, restarts, once=once) for c in pod["spec"]["containers"]]
    ready = all(s["ready"] for s in statuses)
    flag = "True" if ready else "False"
    phase = "Pending" if failure == "broken" else "Running"
    if once and failure != "broken":
        phase = "Failed" if failure else "Succeeded"
        flag = "False"
    return {
        "phase": phase,
        "hostIP": "127.0.0.1",
        "podIP": "10.244.0." + str(int(hashlib.sha256(pod["metadata"]["name"].encode()).hexdigest(), 16) % 250 + 2),
        "startTime": started,
        "conditions": [
            {"type": t, "status": s, "lastTransitionTime": started}
            for t, s in (("Initialized", "True"), ("Ready", flag), ("ContainersReady", flag), ("PodScheduled", "True"))
        ],
        "containerStatuses": statuses,
    }


def _container_status(container: Json, failure: str | None, started: str, restarts: int, *, once: bool = False) -> Json:
    status: Json = {
        "name": container["name"],
        "image": container["image"],
        "imageID": f"docker-pullable://{container['image']}",
        "containerID": "containerd://" + hashlib.sha256(container["name"].encode()).hexdigest()[:32],
        "ready": failure is None,
        "started": failure is None,
        "restartCount": 0,
        "state": {"running": {"startedAt": started}},
    }
    if failure == "broken":
        status.update(
            containerID="",
            state={
                "waiting": {"reason": "ImagePullBackOff", "message": f'Back-off pulling image "{container["image"]}"'}
            },
        )
    elif once:
        reason, code = {"crash": ("Error", 1), "oom": ("OOMKilled", 137)}.get(failure or "", ("Completed", 0))
        finished = {"reason": reason, "exitCode": code, "startedAt": started, "finishedAt": started}
        status.update(ready=False, started=False, state={"terminated": finished})
    elif failure in ("crash", "oom"):
        reason, code = ("OOMKilled", 137) if failure == "oom" else ("Error", 1)
        status.update(
            restartCount=restarts,
            state={
                "waiting": {
                    "reason": "CrashLoopBackOff",
                    "message": f"back-off 5m0s restarting failed container={container['name']}",
                }
            },
            lastState={"terminated": {"reason": reason, "exitCode": code, "startedAt": started, "finishedAt": started}},
        )
    return status


@dataclass
class _Version:
    """The resource version, shared by a cluster and all its views."""

    value: int = 0


class SimulatedCluster(SimulatedWorkloads, TypedReads):
    """Implements the `Cluster` port over in-memory JSON objects.

    Kubernetes RBAC is answered at one choke point, `_authorize`, which every public method
    calls first with the verb, resource and namespace a real API server would check; a view
    made with an identity is held to the cluster's RBAC objects there (integrations.cluster.rbac),
    as a real cluster holds an impersonated request. Without an identity, the simulated cluster
    is its own admin, as a kubeconfig's user usually is.
    """

    def __init__(self, name: str = "demo", *, clock: Callable[[], datetime] | None = None) -> None:
        self.name = name
        self.default_namespace = "default"
        self.identity = "demo-admin (simulated)"
        self.impersonating: Identity | None = None
        self._gate: NamespaceGate | None = None
        self.rbac = Rbac(demo.bootstrap_rbac())
        self.metrics_server = False  # the demo has none, as the test control plane has none
        self._clock = clock or (lambda: datetime.now(UTC))
        self._objects: dict[str, dict[tuple[str, str], Json]] = {}
        self._gone: set[str] = set()  # names of deleted pods, never reused
        # Every change bumps the version and wakes the watches; commands may run in threads.
        self._changed = threading.Condition(threading.RLock())
        self._shared_version = _Version()
        for namespace in SYSTEM_NAMESPACES:
            self.add_namespace(namespace)
        # The API server's own Service, as every cluster has it.
        https = {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}
        kubernetes = {
            "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver"}},
            "spec": {"type": "ClusterIP", "clusterIP": "10.0.0.1", "ports": [https]},
        }
        self._store("services", kubernetes, self._clock() - timedelta(days=3), created=True)

    @property
    def _version(self) -> int:
        return self._shared_version.value

    @_version.setter
    def _version(self, value: int) -> None:
        self._shared_version.value = value

    def view(self, identity: Identity | None, gate: NamespaceGate | None = None) -> SimulatedCluster:
        """The same objects, every request held to `identity`'s RBAC and to `gate`."""
        seen = copy.copy(self)  # shares the objects, the lock and the version
        seen.impersonating = identity
        seen.identity = str(identity) if identity is not None else self.identity
        seen._gate = gate
        return seen

    def _authorize(
        self, verb: str, resource: str, namespace: str | None, *, group: str = "", name: str | None = None
    ) -> None:
        """The choke point: the request's deadline (as the real client checks it before each
        request), the policy's namespace gate, then RBAC for the impersonated identity."""
        deadline.check()
        if self._gate is not None and namespace:
            self._gate.check(namespace)
        who = self.impersonating
        if who is None:
            return
        if not self.rbac.allows(who.user, who.groups, Attributes(verb, resource, namespace, group, name)):
            raise Forbidden(
                verb=verb,
                resource=resource,
                namespace=namespace,
                cluster=self.name,
                user=who.user,
                groups=who.groups,
                impersonated=True,
            )

    def _as(self, verb: str, resource: ResourceType, namespace: str | None, name: str | None = None) -> None:
        scope = namespace if resource.namespaced else None
        self._authorize(verb, resource.resource, scope, group=resource.group, name=name)

    def _visible(self, objects: list[Json], namespace: str | None) -> list[Json]:
        """Of a cluster-wide list, only what the policy lets through (the real client filters
        its pages the same way)."""
        if namespace is not None or self._gate is None:
            return objects
        gate = self._gate
        return [o for o in objects if not (ns := o["metadata"].get("namespace")) or gate.allows(ns)]

    # --- building the cluster -------------------------------------------------------------

    @classmethod
    def demo(cls, name: str = "demo") -> SimulatedCluster:
        cluster = cls(name)
        cluster.default_namespace = demo.DEFAULT_NAMESPACE  # like a kubeconfig context's namespace
        start = cluster._clock() - timedelta(days=3)
        for node in demo.nodes():
            cluster.add_node(node, at=start)
        for namespace in demo.NAMESPACES:
            cluster.add_namespace(namespace, at=start)
        applied = demo.rollouts()
        for i, obj in enumerate(applied):
            # The last rollout is today's; the others date from the cluster's first days.
            at = cluster._clock() - timedelta(hours=2) if i == len(applied) - 1 else start + timedelta(hours=i)
            cluster.apply_deployment(obj, at=at)
        for i, obj in enumerate(demo.workloads()):
            cluster.apply(obj, at=start + timedelta(hours=len(applied) + i))
        cronjob = cluster._objects["cronjobs"][("payments", "nightly-report")]
        cluster.apply(demo.report_job(cronjob), at=cluster._clock() - timedelta(hours=20))
        now = _iso(cluster._clock() - timedelta(minutes=1))
        for i, seed in enumerate(demo.events()):
            pod = cluster._first_pod(seed.namespace, seed.deployment) if seed.deployment else None
            cluster._put("events", demo.event_object(seed, pod=pod, index=i, now=now))
        for secret in demo.secrets():
            cluster.apply(secret, at=start)
        for obj in demo.rbac():
            cluster.rbac.add(obj)
        return cluster

    def add_namespace(self, name: str, *, at: datetime | None = None) -> None:
        meta = {"name": name, "creationTimestamp": _iso(at or self._clock() - timedelta(days=3))}
        self._put("namespaces", {"metadata": meta, "status": {"phase": "Active"}})

    def add_node(self, node: Json, *, at: datetime | None = None) -> None:
        node = copy.deepcopy(node)
        node["metadata"]["creationTimestamp"] = _iso(at or self._clock())
        for condition in node["status"].get("conditions", []):
            condition.setdefault("lastTransitionTime", _iso(self._clock() - timedelta(minutes=47)))
        self._put("nodes", node)

    def apply_deployment(self, obj: Json, *, at: datetime | None = None) -> None:
        """Create or update a Deployment and roll it out at once, as its controller would."""
        with self._changed:
            self._apply_deployment(copy.deepcopy(obj), at or self._clock())

    def _apply_deployment(self, obj: Json, at: datetime, *, generation: int | None = None) -> None:
        meta = obj["metadata"]
        namespace, name = meta["namespace"], meta["name"]
        if ("", namespace) not in self._objects.get("namespaces", {}):
            raise NotFound("namespace", namespace, namespace=None, cluster=self.name)
        previous = self._objects.get("deployments", {}).get((namespace, name))
        meta["creationTimestamp"] = previous["metadata"]["creationTimestamp"] if previous else _iso(at)
        if generation is None:
            generation = previous["metadata"]["generation"] + 1 if previous else 1
        meta["generation"] = generation
        replica_set = self._roll_out(obj, at)
        meta.setdefault("annotations", {})[REVISION] = replica_set["metadata"]["annotations"][REVISION]
        obj["status"] = self._deployment_status(obj, replica_set)
        self._put("deployments", obj)

    def _roll_out(self, deployment: Json, at: datetime) -> Json:
        """Make the ReplicaSet for the current template the only one with pods, as the
        Deployment controller does: same template, same ReplicaSet (a scale); a new template,
        a new revision (a rollout); an old template, its ReplicaSet revived (a rollback)."""
        meta, spec = deployment["metadata"], deployment["spec"]
        template = spec["template"]
        template_hash = _suffix(json.dumps(template, sort_keys=True), 10)
        rs_name = f"{meta['name']}-{template_hash}"
        owned = self._owned_replica_sets(meta["namespace"], meta["name"])
        if spec.get("paused") and owned:
            # Paused: a new template waits; scaling still applies to the current ReplicaSet.
            current = max(owned, key=lambda rs: int(rs["metadata"]["annotations"][REVISION]))
            self._resize(current, spec.get("replicas", 1), at)
            return current
        newest = max((int(rs["metadata"]["annotations"][REVISION]) for rs in owned), default=0)
        desired = spec.get("replicas", 1)
        new_pods, kept = desired, None
        if spec.get("strategy", {}).get("type", "RollingUpdate") == "RollingUpdate" and not self._would_be_ready(
            template
        ):
            # A rolling update whose new pods never become ready stops where the controller
            # would: old pods kept for availability, new ones only as far as the surge allows.
            surge, unavailable = _rolling_limits(spec, desired)
            kept = max(
                (rs for rs in owned if rs["metadata"]["name"] != rs_name),
                key=lambda rs: (self._ready_pods(rs), int(rs["metadata"]["annotations"][REVISION])),
                default=None,
            )
            if kept is not None:
                old_pods = min(len(self._pods_of(kept)), max(0, desired - unavailable))
                new_pods = min(desired, desired + surge - old_pods)
                self._resize(kept, old_pods, at)
        for rs in owned:
            if rs["metadata"]["name"] != rs_name and rs is not kept:
                rs["spec"]["replicas"] = 0
                self._delete_pods_of(rs)
        replica_set = next((rs for rs in owned if rs["metadata"]["name"] == rs_name), None)
        if replica_set is None:
            replica_set = self._new_replica_set(deployment, rs_name, template_hash, newest + 1, at)
        elif int(replica_set["metadata"]["annotations"][REVISION]) != newest:
            replica_set["metadata"]["annotations"][REVISION] = str(newest + 1)
        if cause := meta.get("annotations", {}).get("kubernetes.io/change-cause"):
            replica_set["metadata"]["annotations"]["kubernetes.io/change-cause"] = cause
        self._resize(replica_set, new_pods, at)
        return replica_set

    def _would_be_ready(self, template: Json) -> bool:
        """Whether pods of this template would run: scheduled, and not failing by the demo's rule."""
        probe = {"metadata": {"name": "probe", **template.get("metadata", {})}, "spec": template.get("spec", {})}
        node, _ = schedule(probe, self._objects.get("nodes", {}).values())
        return node is not None and demo.failure_of(probe) is None

    def _ready_pods(self, replica_set: Json) -> int:
        return sum(1 for p in self._pods_of(replica_set) if (info := pod_from(p)).total and info.ready == info.total)

    def _new_replica_set(self, deployment: Json, name: str, template_hash: str, revision: int, at: datetime) -> Json:
        meta, template = deployment["metadata"], deployment["spec"]["template"]
        labels = {**template["metadata"].get("labels", {}), "pod-template-hash": template_hash}
        rs_template = copy.deepcopy(template)
        rs_template["metadata"]["labels"] = labels
        replica_set = {
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": {REVISION: str(revision)},
                "creationTimestamp": _iso(at),
                "ownerReferences": [{"kind": "Deployment", "name": meta["name"], "apiVersion": "apps/v1"}],
            },
            "spec": {"replicas": 0, "template": rs_template},
        }
        self._put("replicasets", replica_set)
        return replica_set

    def _resize(self, replica_set: Json, replicas: int, at: datetime) -> None:
        replica_set["spec"]["replicas"] = replicas
        pods = self._pods_of(replica_set)
        for pod in pods[replicas:]:
            self._remove("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
        taken = {p["metadata"]["name"] for p in pods}
        index = 0
        while len(taken) < replicas:
            name = f"{replica_set['metadata']['name']}-{_suffix(replica_set['metadata']['name'] + str(index), 5)}"
            if name not in taken and name not in self._gone:  # a replacement gets a name of its own
                self._create_pod(replica_set, index, at)
                taken.add(name)
            index += 1

    def _create_pod(self, replica_set: Json, index: int, at: datetime) -> None:
        meta, template = replica_set["metadata"], replica_set["spec"]["template"]
        pod = {
            "metadata": {
                "name": f"{meta['name']}-{_suffix(meta['name'] + str(index), 5)}",
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": dict(template["metadata"].get("annotations") or {}),
                "creationTimestamp": _iso(at),
                "ownerReferences": [{"kind": "ReplicaSet", "name": meta["name"], "apiVersion": "apps/v1"}],
            },
            "spec": copy.deepcopy(template["spec"]),
        }
        node, message = schedule(pod, self._objects.get("nodes", {}).values())
        if node:
            pod["spec"]["nodeName"] = node
        pod["status"] = pod_status(pod, node, message, at)
        self._put("pods", pod)

    def _deployment_status(self, deployment: Json, replica_set: Json) -> Json:
        meta = deployment["metadata"]
        updated = len(self._pods_of(replica_set))
        pods = [
            pod_from(p) for rs in self._owned_replica_sets(meta["namespace"], meta["name"]) for p in self._pods_of(rs)
        ]
        desired = deployment["spec"].get("replicas", 1)
        ready = sum(1 for p in pods if p.total and p.ready == p.total)
        available = "True" if ready >= desired - _rolling_limits(deployment["spec"], desired)[1] else "False"
        return {
            "observedGeneration": deployment["metadata"]["generation"],
            "replicas": len(pods),
            "updatedReplicas": updated,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": max(0, desired - ready),
            "conditions": [
                {
                    "type": "Available",
                    "status": available,
                    "reason": "MinimumReplicasAvailable" if available == "True" else "MinimumReplicasUnavailable",
                    "message": "Deployment has minimum availability."
                    if available == "True"
                    else "Deployment does not have minimum availability.",
                },
                {
                    "type": "Progressing",
                    "status": "True",
                    "reason": "NewReplicaSetAvailable",
                    "message": f'ReplicaSet "{replica_set["metadata"]["name"]}" has successfully progressed.',
                },
            ],
        }

    # --- bookkeeping ------------------------------------------------------------------------

    def _put(self, kind: str, obj: Json) -> None:
        with self._changed:
            meta = obj["metadata"]
            self._version += 1
            meta["resourceVersion"] = str(self._version)
            self._objects.setdefault(kind, {})[(meta.get("namespace", ""), meta["name"])] = obj
            self._changed.notify_all()

    def _remove(self, kind: str, namespace: str, name: str) -> None:
        with self._changed:
            del self._objects[kind][(namespace, name)]
            self._version += 1
            self._changed.notify_all()

    def _all(self, kind: str, namespace: str | None, selector: str | None = None) -> list[Json]:
        with self._changed:
            return [
                o
                for (ns, _), o in sorted(self._objects.get(kind, {}).items())
                if (namespace is None or ns == namespace) and matches(selector, o["metadata"].get("labels") or {})
            ]

    def _owned_replica_sets(self, namespace: str, deployment: str) -> list[Json]:
        return [
            rs
            for rs in self._all("replicasets", namespace)
            if any(o["name"] == deployment for o in rs["metadata"]["ownerReferences"])
        ]

    def _pods_of(self, replica_set: Json) -> list[Json]:
        name = replica_set["metadata"]["name"]
        return [
            p
            for p in self._all("pods", replica_set["metadata"]["namespace"])
            if p["metadata"]["ownerReferences"][0]["name"] == name
        ]

    def _delete_pods_of(self, replica_set: Json) -> None:
        for pod in self._pods_of(replica_set):
            self._remove("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])

    def _first_pod(self, namespace: str, deployment: str) -> str | None:
        pods = self._all("pods", namespace, f"app={deployment}")
        return pods[0]["metadata"]["name"] if pods else None

    def _get(self, kind: str, label: str, namespace: str, name: str) -> Json:
        found = self._objects.get(kind, {}).get((namespace, name))
        if found is None:
            raise NotFound(label, name, namespace=namespace, cluster=self.name)
        return found

    # --- the Cluster port -------------------------------------------------------------------

    def info(self) -> ClusterInfo:
        return ClusterInfo(self.name, True, "v1.20.2 (simulated)", self.default_namespace, "in-process")

    def access_rules(self, namespace: str) -> AccessRules:
        self._authorize("create", "selfsubjectrulesreviews", None, group="authorization.k8s.io")
        if self.impersonating is None:  # the simulated cluster's own identity may do anything
            review = {"status": {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]}}
        else:
            review = self.rbac.rules_review(self.impersonating.user, self.impersonating.groups, namespace)
        return access_rules_from(self.identity, namespace, review)

    def list_events(self, namespace: str | None, involved: str | None = None) -> list[EventInfo]:
        self._authorize("list", "events", namespace, group="events.k8s.io")  # as the real client reads them
        events = [event_from(o) for o in self._visible(self._all("events", namespace), namespace)]
        return [e for e in events if involved is None or e.name == involved]

    # --- any kind -------------------------------------------------------------------------------

    def discover(self, *, refresh: bool = False) -> Catalog:
        custom = [t for crd in self._all("customresourcedefinitions", "") for t in served_1_20.custom(crd)]
        extra = served_1_20.metrics() if self.metrics_server else []
        return Catalog([*served_1_20.built_in(), *extra, *custom])

    def _crd(self, resource: ResourceType) -> Json | None:
        return self._objects.get("customresourcedefinitions", {}).get(("", f"{resource.resource}.{resource.group}"))

    def _key(self, resource: ResourceType) -> str:
        """Where objects of `resource` are kept: built-in kinds by plural (every version and group of
        a kind shares one store, as in the API server), custom resources and metrics by plural.group."""
        if self._crd(resource) is not None or resource.group == "metrics.k8s.io":
            return resource.qualified
        return resource.resource

    def _scope(self, resource: ResourceType, namespace: str | None) -> str | None:
        return (namespace if resource.namespaced else "") if namespace is not None or not resource.namespaced else None

    def list_objects(
        self,
        resource: ResourceType,
        namespace: str | None,
        convert: Callable[[Json], T],
        *,
        selector: str | None = None,
    ) -> list[T]:
        self._as("list", resource, namespace)
        scope = self._scope(resource, namespace)
        found = self._visible(self._all(self._key(resource), scope, selector), scope)
        return [convert(copy.deepcopy(o)) for o in found]

    def get_object(self, resource: ResourceType, namespace: str | None, name: str) -> Json:
        self._as("get", resource, namespace, name)
        scope = namespace if resource.namespaced else ""
        return copy.deepcopy(self._get(self._key(resource), resource.label, scope or "", name))

    def table(
        self, resource: ResourceType, namespace: str | None, *, name: str | None = None, selector: str | None = None
    ) -> ServerTable:
        if name is not None:
            found = [self.get_object(resource, namespace, name)]
        else:
            self._as("list", resource, namespace)
            scope = self._scope(resource, namespace)
            found = self._visible(self._all(self._key(resource), scope, selector), scope)
        return printers.print_table(resource.resource, found, self._clock(), self._crd(resource))

    def patch_object(
        self, resource: ResourceType, namespace: str | None, name: str, patch: Patch, *, dry_run: bool
    ) -> Json:
        self._as("patch", resource, namespace, name)
        key, scope = self._key(resource), (namespace if resource.namespaced else "") or ""
        with self._changed:
            current = self._get(key, resource.label, scope, name)
            wanted = (patch.body.get("metadata") or {}).get("resourceVersion")
            if wanted and wanted != current["metadata"]["resourceVersion"]:
                raise Conflict(
                    f"{resource.label} `{name}` was changed by someone else meanwhile on cluster `{self.name}`.",
                    cluster=self.name,
                    hint="Nothing was changed by Pilothouse; look at its state and try again.",
                )
            changed = patches.apply(current, patch)
            meta = changed["metadata"]
            if changed.get("spec") != current.get("spec"):
                meta["generation"] = int(current["metadata"].get("generation", 1)) + 1
            managers = [m for m in meta.get("managedFields") or [] if m.get("manager") != FIELD_MANAGER]
            meta["managedFields"] = [
                *managers,
                {"manager": FIELD_MANAGER, "operation": "Update", "time": _iso(self._clock())},
            ]
            if dry_run:
                return changed
            self._store(key, changed, self._clock())
            return copy.deepcopy(self._get(key, resource.label, scope, name))

    def create_object(self, resource: ResourceType, namespace: str, obj: Json, *, dry_run: bool) -> Json:
        self._as("create", resource, namespace)
        key = self._key(resource)
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        meta["namespace"] = namespace if resource.namespaced else ""
        with self._changed:
            if (meta["namespace"], meta["name"]) in self._objects.get(key, {}):
                raise Conflict(
                    f"{resource.label} `{meta['name']}` already exists on cluster `{self.name}`.", cluster=self.name
                )
            if resource.namespaced and ("", namespace) not in self._objects.get("namespaces", {}):
                raise NotFound("namespace", namespace, namespace=None, cluster=self.name)
            meta.setdefault("managedFields", [{"manager": FIELD_MANAGER, "operation": "Update"}])
            if dry_run:
                return obj
            self._store(key, obj, self._clock(), created=True)
            return copy.deepcopy(self._objects[key][(meta["namespace"], meta["name"])])

    def delete_object(self, resource: ResourceType, namespace: str | None, name: str, *, dry_run: bool) -> None:
        self._as("delete", resource, namespace, name)
        key, scope = self._key(resource), (namespace if resource.namespaced else "") or ""
        with self._changed:
            obj = self._get(key, resource.label, scope, name)
            if dry_run:
                return
            self._remove(key, scope, name)
            if key == "pods":
                self._gone.add(name)
                self._replace_pod_of(obj)

    def apply(self, obj: Json, *, at: datetime | None = None) -> None:
        """Create or replace any object by its apiVersion and kind (seeding the demo)."""
        group, _, version = obj["apiVersion"].rpartition("/")
        resource = next(
            (t for t in self.discover() if t.group == group and t.version == version and t.kind == obj["kind"]), None
        )
        if resource is None:
            raise Invalid(f"The simulated cluster serves no {obj['apiVersion']} {obj['kind']}.", cluster=self.name)
        obj = copy.deepcopy(obj)
        if resource.namespaced:
            obj["metadata"].setdefault("namespace", "default")
        else:
            obj["metadata"]["namespace"] = ""
        with self._changed:
            key = self._key(resource)
            exists = (obj["metadata"]["namespace"], obj["metadata"]["name"]) in self._objects.get(key, {})
            self._store(key, obj, at or self._clock(), created=not exists)

    def _store(self, key: str, obj: Json, at: datetime, *, created: bool = False) -> None:
        """Keep `obj` and do what its controller would (under the lock)."""
        meta = obj["metadata"]
        previous = self._objects.get(key, {}).get((meta.get("namespace", ""), meta["name"]))
        meta["creationTimestamp"] = (
            previous["metadata"]["creationTimestamp"] if previous else meta.get("creationTimestamp") or _iso(at)
        )
        meta.setdefault(
            "uid", hashlib.sha256(f"{key}/{meta.get('namespace')}/{meta['name']}/{_iso(at)}".encode()).hexdigest()[:32]
        )
        meta.setdefault("generation", 1)
        if key == "deployments":
            obj.pop("status", None)
            self._apply_deployment(obj, at, generation=int(meta["generation"]))
        elif key in ("statefulsets", "daemonsets"):
            self._put(key, obj)
            if key == "statefulsets":
                self._reconcile_stateful_set(obj, at)
            else:
                self._reconcile_daemon_set(obj, at)
            self._put(key, obj)
        elif key == "jobs" and created:
            self._run_job(obj, at)
            self._put(key, obj)
        elif key == "services":
            obj["spec"].setdefault("type", "ClusterIP")
            if "clusterIP" not in obj["spec"]:
                obj["spec"]["clusterIP"] = f"10.0.0.{len(self._objects.get('services', {})) + 10}"
            self._put(key, obj)
        elif key == "customresourcedefinitions":
            obj["status"] = {
                "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}]
            }
            self._put(key, obj)
        else:
            self._put(key, obj)
        if key in ("deployments", "statefulsets", "horizontalpodautoscalers") and meta.get("namespace"):
            for resource, target, replicas in list(self._reconcile_autoscalers(meta["namespace"])):
                target = copy.deepcopy(target)
                target["spec"]["replicas"] = replicas
                self._store(resource, target, at)

    def _make_pod(
        self, owner: Json, name: str, template: Json, labels: dict[str, str], at: datetime, node: str | None = None
    ) -> Json:
        meta = owner["metadata"]
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": name,
                "namespace": meta["namespace"],
                "labels": labels,
                "annotations": dict(template.get("metadata", {}).get("annotations") or {}),
                "creationTimestamp": _iso(at),
                "ownerReferences": [
                    {"kind": owner["kind"], "name": meta["name"], "apiVersion": owner.get("apiVersion", "apps/v1"),
                     "controller": True}
                ],
            },
            "spec": copy.deepcopy(template.get("spec", {})),
        }  # fmt: skip
        nodes = self._objects.get("nodes", {}).values()
        if node is None:
            node, message = schedule(pod, nodes)
        else:
            message = ""
            ready = next((n for n in nodes if n["metadata"]["name"] == node), None)
            if ready is None or not node_is_ready({**ready, "spec": {}}):
                node, message = None, "0/1 nodes are available: 1 node(s) were not ready."
        if node:
            pod["spec"]["nodeName"] = node
        pod["status"] = pod_status(pod, node, message, at)
        self._put("pods", pod)
        return pod

    def _replace_pod_of(self, pod: Json) -> None:
        """A deleted pod's controller starts a replacement, as it would."""
        owner = (pod["metadata"].get("ownerReferences") or [{}])[0]
        namespace, at = pod["metadata"]["namespace"], self._clock()
        kinds = {"ReplicaSet": "replicasets", "StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}
        key = kinds.get(owner.get("kind", ""))
        found = self._objects.get(key or "", {}).get((namespace, owner.get("name", ""))) if key else None
        if found is None:
            return
        if key == "replicasets":
            self._resize(found, found["spec"]["replicas"], at)
            return
        if key == "statefulsets":
            self._reconcile_stateful_set(found, at)
        else:
            self._reconcile_daemon_set(found, at)
        self._put(str(key), found)

    # --- watches: woken by every change ------------------------------------------------------

    def _wait_for_change(self, seen: int, deadline: float, cancel: Cancel) -> int | None:
        """The new version once something changed after `seen`; None at the deadline or when cancelled."""
        with self._changed:
            while self._version == seen and not cancel.cancelled:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._changed.wait(left)
            return None if cancel.cancelled else self._version

    def _wake(self) -> None:
        with self._changed:
            self._changed.notify_all()

    def watch_object(
        self, resource: ResourceType, namespace: str, name: str, *, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[Json]:
        self._as("watch", resource, namespace)
        cancel.on_cancel(self._wake)
        deadline = time.monotonic() + timeout
        key = self._key(resource)
        last, version = since, self._version
        while True:
            current = self._objects.get(key, {}).get((namespace, name))
            if current is None:
                raise NotFound(resource.label, name, namespace=namespace, cluster=self.name)
            if current["metadata"]["resourceVersion"] != last:
                last = current["metadata"]["resourceVersion"]
                yield copy.deepcopy(current)
            if (changed := self._wait_for_change(version, deadline, cancel)) is None:
                return
            version = changed

    def watch_pods(
        self, namespace: str, selector: str, *, since: str, timeout: float, cancel: Cancel
    ) -> Iterator[PodChange]:
        self._authorize("watch", "pods", namespace)
        cancel.on_cancel(self._wake)
        deadline = time.monotonic() + timeout
        # Resuming: pods at or below `since` were reported before.
        known = {
            p["metadata"]["name"]: p["metadata"]["resourceVersion"]
            for p in self._all("pods", namespace, selector)
            if since and int(p["metadata"]["resourceVersion"]) <= int(since)
        }
        version = self._version
        while True:
            pods = {p["metadata"]["name"]: p for p in self._all("pods", namespace, selector)}
            for name, pod in pods.items():
                rv = pod["metadata"]["resourceVersion"]
                if known.get(name) != rv:
                    yield PodChange("MODIFIED" if name in known else "ADDED", pod_from(pod), rv)
                    known[name] = rv
            for gone in set(known) - set(pods):
                del known[gone]
                yield PodChange("DELETED", _deleted_pod(namespace, gone), str(self._version))
            if (changed := self._wait_for_change(version, deadline, cancel)) is None:
                return
            version = changed

    def pod_logs(self, namespace: str, pod: str, container: str, tail: int, previous: bool = False) -> LogText:
        self._authorize("get", "pods/log", namespace, name=pod)
        obj = self._get("pods", "pod", namespace, pod)
        names = [c["name"] for c in obj["spec"]["containers"]]
        if container not in names:
            close = difflib.get_close_matches(container, names, n=1)
            raise Invalid(
                f"Pod `{pod}` has no container `{container}`; it has: {', '.join(names)}.",
                cluster=self.name,
                hint=f"Did you mean `-c {close[0]}`?" if close else None,
            )
        if not obj["spec"].get("nodeName"):
            raise Invalid(f"Pod `{pod}` has no logs yet: it is not scheduled to a node.", cluster=self.name)
        written = demo.log_lines(namespace, pod, container)[-tail:]
        return log_text("".join(f"{line}\n" for line in written).encode())  # as the API server would answer


def _deleted_pod(namespace: str, name: str) -> PodInfo:
    """What a DELETED event needs to say: which pod."""
    return pod_from({"metadata": {"name": name, "namespace": namespace}, "spec": {"containers": []}})


def _rolling_limits(spec: Json, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) as pod counts, rounded as the Deployment controller rounds them."""
    rolling = (spec.get("strategy") or {}).get("rollingUpdate") or {}

    def count(value: int | str, round_up: bool) -> int:
        if isinstance(value, int):
            return value
        share = desired * int(str(value).rstrip("%")) / 100
        return math.ceil(share) if round_up else math.floor(share)

    surge, unavailable = count(rolling.get("maxSurge", "25%"), True), count(rolling.get("maxUnavailable", "25%"), False)
    return (surge, unavailable) if surge or unavailable else (0, 1)
