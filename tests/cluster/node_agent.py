"""Fake nodes and a node agent that plays scheduler + kubelet for them.

No scheduler or kubelet runs in the test control plane. The agent list+watches pods and
- binds unscheduled pods to a Ready, schedulable node matching their nodeSelector, or marks
  them `PodScheduled=False/Unschedulable` with a scheduler-like message;
- reports bound pods Running/Ready (or a simulated fault, see podstatus.py);
- finishes graceful deletions (grace 0), since no kubelet confirms them.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections import Counter
from typing import Any

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from tests.cluster import podstatus
from tests.cluster.podstatus import JSON
from tests.cluster.rest import MERGE_PATCH, Watch, request

log = logging.getLogger(__name__)

NODE_NAME = "node-1"
K8S_VERSION = "v1.20.2"
CRASH_PERIOD = 3.0  # seconds between simulated restarts of a crash-looping container
TICK = 1.0  # how often pending and crash-looping pods are revisited
WATCH_SECONDS = 60
NODES_TTL = 0.5


# --- nodes --------------------------------------------------------------------------------


def _node_conditions(ready: bool, reason: str, message: str) -> list[JSON]:
    now = podstatus.now_rfc3339()
    pressure = [
        {
            "type": t,
            "status": "False",
            "reason": f"KubeletHasNo{t}",
            "message": f"kubelet has no {t}",
            "lastHeartbeatTime": now,
            "lastTransitionTime": now,
        }
        for t in ("MemoryPressure", "DiskPressure", "PIDPressure")
    ]
    ready_cond = {
        "type": "Ready",
        "status": "True" if ready else "False",
        "reason": "KubeletReady" if ready else reason,
        "message": "kubelet is posting ready status" if ready else message,
        "lastHeartbeatTime": now,
        "lastTransitionTime": now,
    }
    return [*pressure, ready_cond]


def node_manifest(
    name: str,
    kubelet_port: int,
    *,
    labels: dict[str, str] | None = None,
    ready: bool = True,
    unschedulable: bool = False,
    reason: str = "KubeletNotReady",
    message: str = "container runtime network not ready: NetworkReady=false",
) -> JSON:
    """A Node with status, as a kubelet on 127.0.0.1:`kubelet_port` would register it."""
    resources = {"cpu": "4", "memory": "8Gi", "pods": "110", "ephemeral-storage": "50Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "labels": {
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "kubernetes.io/arch": "amd64",
                **(labels or {}),
            },
        },
        "spec": {"unschedulable": unschedulable},
        "status": {
            "capacity": resources,
            "allocatable": resources,
            "conditions": _node_conditions(ready, reason, message),
            "addresses": [{"type": "InternalIP", "address": "127.0.0.1"}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": kubelet_port}},
            "nodeInfo": {
                "machineID": name,
                "systemUUID": name,
                "bootID": name,
                "kernelVersion": "6.1.0-fake",
                "osImage": "Debian GNU/Linux 12 (bookworm)",
                "containerRuntimeVersion": "containerd://1.6.20",
                "kubeletVersion": K8S_VERSION,
                "kubeProxyVersion": K8S_VERSION,
                "operatingSystem": "linux",
                "architecture": "amd64",
            },
        },
    }


def create_node(api: ApiClient, name: str, kubelet_port: int, **options: Any) -> JSON:
    """Registers a node (see node_manifest for options); replaces one of the same name."""
    body = node_manifest(name, kubelet_port, **options)
    try:
        request(api, "DELETE", f"/api/v1/nodes/{name}")
    except ApiException as e:
        if e.status != 404:
            raise
    request(api, "POST", "/api/v1/nodes", body)
    # Admission taints every new node not-ready:NoSchedule; the node lifecycle controller (not run
    # here) lifts it once the node is Ready. Do its part, so DaemonSets see the nodes they would.
    taints = [] if options.get("ready", True) else [NOT_READY_TAINT]
    request(api, "PATCH", f"/api/v1/nodes/{name}", {"spec": {"taints": taints}}, content_type=MERGE_PATCH)
    # Status is ignored on create for most kinds; set it through the subresource to be sure.
    node: JSON = request(
        api, "PATCH", f"/api/v1/nodes/{name}/status", {"status": body["status"]}, content_type=MERGE_PATCH
    )
    return node


NOT_READY_TAINT = {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}


def set_node_ready(
    api: ApiClient,
    name: str,
    ready: bool,
    *,
    reason: str = "KubeletNotReady",
    message: str = "container runtime network not ready: NetworkReady=false",
) -> JSON:
    """Flips a node's Ready condition (and its not-ready taint, as the node lifecycle controller
    would); nothing else runs that controller, so it sticks."""
    conditions = _node_conditions(ready, reason, message)
    taints = [] if ready else [NOT_READY_TAINT]
    request(api, "PATCH", f"/api/v1/nodes/{name}", {"spec": {"taints": taints}}, content_type=MERGE_PATCH)
    node: JSON = request(
        api, "PATCH", f"/api/v1/nodes/{name}/status", {"status": {"conditions": conditions}}, content_type=MERGE_PATCH
    )
    return node


def node_is_ready(node: JSON) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (node.get("status") or {}).get("conditions") or []
    )


def _pinned_to(pod: JSON) -> set[str] | None:
    """The nodes a pod's required node affinity names by `metadata.name` (how DaemonSet pods are pinned)."""
    affinity = (pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}
    terms = (affinity.get("requiredDuringSchedulingIgnoredDuringExecution") or {}).get("nodeSelectorTerms") or []
    names = {
        v
        for t in terms
        for f in t.get("matchFields") or []
        if f.get("key") == "metadata.name" and f.get("operator") == "In"
        for v in f.get("values") or []
    }
    return names or None


def _tolerates_unschedulable(pod: JSON) -> bool:
    return any(
        t.get("key") == "node.kubernetes.io/unschedulable" or (t.get("operator") == "Exists" and not t.get("key"))
        for t in pod["spec"].get("tolerations") or []
    )


def _node_problem(node: JSON, pod: JSON) -> str | None:
    """Why `pod` cannot go to `node`, in the scheduler's words, or None if it fits."""
    pinned = _pinned_to(pod)
    if pinned is not None and node["metadata"]["name"] not in pinned:
        return "node(s) didn't match node selector"
    if not node_is_ready(node):
        return "node(s) were not ready"
    if (node.get("spec") or {}).get("unschedulable") and not _tolerates_unschedulable(pod):
        return "node(s) were unschedulable"
    labels = node["metadata"].get("labels") or {}
    selector = pod["spec"].get("nodeSelector") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return "node(s) didn't match node selector"
    return None


def unschedulable_message(total: int, problems: list[str]) -> str:
    counts = sorted(Counter(problems).items())
    return f"0/{total} nodes are available: " + ", ".join(f"{n} {why}" for why, n in counts) + "."


def _pick_node(pod: JSON, nodes: list[JSON]) -> tuple[str | None, str]:
    """(a node that fits, "") or (None, the scheduler's "0/N nodes are available" message)."""
    problems = {n["metadata"]["name"]: _node_problem(n, pod) for n in nodes}
    fits = sorted(name for name, problem in problems.items() if problem is None)
    if not fits:
        return None, unschedulable_message(len(nodes), [p for p in problems.values() if p])
    # Spread by a stable hash: cheap even with thousands of pods.
    return fits[zlib.crc32(pod["metadata"]["name"].encode()) % len(fits)], ""


# --- the agent ----------------------------------------------------------------------------


def _key(pod: JSON) -> tuple[str, str]:
    return pod["metadata"]["namespace"], pod["metadata"]["name"]


def _pod_path(pod: JSON, sub: str = "") -> str:
    ns, name = _key(pod)
    return f"/api/v1/namespaces/{ns}/pods/{name}" + (f"/{sub}" if sub else "")


class NodeAgent:
    """Scheduler + kubelet for all fake nodes; two daemon threads (watch and tick)."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self._pods: dict[tuple[str, str], JSON] = {}
        self._last_restart: dict[tuple[str, str], float] = {}
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._watch: Watch | None = None
        self._node_cache: list[JSON] = []
        self._nodes_at = -NODES_TTL
        self._threads = [
            threading.Thread(
                target=self._guarded, args=(loop,), daemon=True, name=f"node-agent-{loop.__name__.strip('_')}"
            )
            for loop in (self._watch_loop, self._tick_loop)
        ]

    def start(self) -> None:
        for t in self._threads:
            t.start()

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for t in self._threads:
            while t.is_alive() and time.monotonic() < deadline:
                if self._watch:  # again each time: a new watch may just have opened
                    self._watch.shutdown()
                t.join(0.2)

    def _guarded(self, loop: Any) -> None:
        """Runs `loop` until stopped; an exception is logged and the loop restarted."""
        while not self._stopping.is_set():
            try:
                loop()
            except Exception:  # a test helper must keep running
                if not self._stopping.is_set():
                    log.exception("node agent: %s failed; restarting it", loop.__name__)
                    self._stopping.wait(1)

    # watch: list, then watch from the list's resourceVersion; 410 Gone means list again
    def _watch_loop(self) -> None:
        listing = request(self.api, "GET", "/api/v1/pods")
        with self._lock:
            self._pods = {_key(p): p for p in listing["items"]}
        for pod in listing["items"]:
            self._reconcile(pod)
        rv = listing["metadata"]["resourceVersion"]
        while not self._stopping.is_set() and rv:
            rv = self._watch_once(rv)

    def _watch_once(self, rv: str) -> str:
        """One watch request; returns the resourceVersion to resume from, "" to relist."""
        self._watch = Watch(
            self.api,
            "/api/v1/pods",
            {"resourceVersion": rv, "timeoutSeconds": WATCH_SECONDS, "allowWatchBookmarks": True},
            timeout=WATCH_SECONDS + 10,
        )
        try:
            for event in self._watch:
                if self._stopping.is_set():
                    break
                obj = event.get("object") or {}
                if event.get("type") == "ERROR":
                    log.info("node agent: watch error %s; relisting", obj.get("message"))
                    return ""
                rv = obj.get("metadata", {}).get("resourceVersion", rv)
                if event.get("type") != "BOOKMARK":
                    self._on_event(event["type"], obj)
        except ApiException as e:
            if e.status == 410:
                return ""
            raise
        return rv

    def _on_event(self, kind: str, pod: JSON) -> None:
        with self._lock:
            if kind == "DELETED":
                self._pods.pop(_key(pod), None)
                self._last_restart.pop(_key(pod), None)
                return
            self._pods[_key(pod)] = pod
        self._reconcile(pod)

    # tick: retry pending pods (a node may have appeared) and advance crash loops
    def _tick_loop(self) -> None:
        while not self._stopping.wait(TICK):
            with self._lock:
                pods = [p for p in self._pods.values() if self._needs_tick(p)]
            for pod in pods:
                self._reconcile(pod, tick=True)

    @staticmethod
    def _needs_tick(pod: JSON) -> bool:
        return not pod["spec"].get("nodeName") or bool(podstatus.pod_faults(pod) & set(podstatus.CRASHING))

    def _reconcile(self, pod: JSON, tick: bool = False) -> None:
        try:
            with self._lock:
                if pod["metadata"].get("deletionTimestamp"):
                    self._finish_deletion(pod)
                elif not pod["spec"].get("nodeName"):
                    self._schedule(pod)
                else:
                    self._report(pod, tick)
        except ApiException as e:
            if e.status not in (404, 409):  # gone or raced: the next event tells the truth
                log.warning("node agent: %s %s: %s", _key(pod), e.status, e.reason)
        except Exception:
            log.exception("node agent: reconciling %s failed", _key(pod))

    def _finish_deletion(self, pod: JSON) -> None:
        request(
            self.api,
            "DELETE",
            _pod_path(pod),
            {
                "apiVersion": "v1",
                "kind": "DeleteOptions",
                "gracePeriodSeconds": 0,
                "preconditions": {"uid": pod["metadata"]["uid"]},
            },
        )

    def _schedule(self, pod: JSON) -> None:
        node, why = _pick_node(pod, self._nodes())
        if node is None:  # the cache may predate a new or healed node: look again first
            node, why = _pick_node(pod, self._nodes(fresh=True))
        if node is None:
            self._patch_status(pod, podstatus.unschedulable_status(pod, why))
            return
        request(
            self.api,
            "POST",
            _pod_path(pod, "binding"),
            {
                "apiVersion": "v1",
                "kind": "Binding",
                "metadata": {"name": pod["metadata"]["name"]},
                "target": {"apiVersion": "v1", "kind": "Node", "name": node},
            },
        )
        pod["spec"]["nodeName"] = node  # the watch event follows; report at once
        self._report(pod, tick=False)

    def _nodes(self, fresh: bool = False) -> list[JSON]:
        """Nodes, cached briefly so a burst of new pods costs one list."""
        if fresh or time.monotonic() - self._nodes_at > NODES_TTL:
            self._node_cache = request(self.api, "GET", "/api/v1/nodes")["items"]
            self._nodes_at = time.monotonic()
        return self._node_cache

    def _report(self, pod: JSON, tick: bool) -> None:
        restarts = {n: max(1, c) for n, c in podstatus.restart_counts(pod).items()}
        if tick and self._crash_due(pod):
            restarts = {n: c + 1 for n, c in restarts.items()}
        self._patch_status(pod, podstatus.running_status(pod, "127.0.0.1", restarts))

    def _crash_due(self, pod: JSON) -> bool:
        now, last = time.monotonic(), self._last_restart.get(_key(pod))
        if last is None or now - last >= CRASH_PERIOD:
            self._last_restart[_key(pod)] = now
            return last is not None
        return False

    def _patch_status(self, pod: JSON, status: JSON) -> None:
        if podstatus.signature(status) == podstatus.signature(pod.get("status") or {}):
            return
        updated = request(self.api, "PATCH", _pod_path(pod, "status"), {"status": status}, content_type=MERGE_PATCH)
        self._pods[_key(pod)] = updated
