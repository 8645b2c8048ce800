"""Apply the demo seed (integrations/cluster/demo.py) to a real control plane.

The simulated cluster builds itself from the same seed, so contract tests can compare the
two. Controllers and the fake node agent do the rest: ReplicaSets, pods, failures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from integrations.cluster import demo
from tests.cluster.controlplane import ControlPlane
from tests.cluster.node_agent import NODE_NAME, create_node
from tests.cluster.objects import apply_object
from tests.cluster.rest import JSON, request


def wait_for(condition: Callable[[], object], what: str, timeout: float = 90, poll: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(poll)


def _deployment(api: ApiClient, namespace: str, name: str) -> JSON:
    found: JSON = request(api, "GET", f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}")
    return found


def _pods(api: ApiClient, namespace: str, app: str) -> list[JSON]:
    items: list[JSON] = request(
        api, "GET", f"/api/v1/namespaces/{namespace}/pods", query={"labelSelector": f"app={app}"}
    )["items"]
    return sorted(items, key=lambda p: p["metadata"]["name"])


def _observed(api: ApiClient, obj: JSON) -> bool:
    d = _deployment(api, obj["metadata"]["namespace"], obj["metadata"]["name"])
    return int(d.get("status", {}).get("observedGeneration", 0)) >= int(d["metadata"]["generation"])


def _settled(api: ApiClient, obj: JSON) -> bool:
    """Rolled out: only the new ReplicaSet's pods are left, each reported on by the node agent."""
    namespace, name = obj["metadata"]["namespace"], obj["metadata"]["name"]
    d = _deployment(api, namespace, name)
    status, wanted = d.get("status", {}), d["spec"]["replicas"]
    pods = [p for p in _pods(api, namespace, name) if not p["metadata"].get("deletionTimestamp")]
    reported = all(p.get("status", {}).get("conditions") for p in pods)
    return (
        status.get("updatedReplicas") == wanted
        and status.get("replicas") == wanted
        and len(pods) == wanted
        and reported
    )


def _crashing(api: ApiClient) -> bool:
    pods = _pods(api, "shop", "checkout")
    return (
        bool(pods)
        and all(c.get("restartCount", 0) > 0 for p in pods for c in p.get("status", {}).get("containerStatuses") or [])
        and all(p.get("status", {}).get("containerStatuses") for p in pods)
    )


def seed_demo(cp: ControlPlane) -> None:
    api = cp.admin_api_client()
    for node in demo.nodes():
        if node["metadata"]["name"] == NODE_NAME:
            continue  # node-1 is the fake node agent's own, Ready node
        ready = next(c for c in node["status"]["conditions"] if c["type"] == "Ready")
        create_node(
            api,
            node["metadata"]["name"],
            cp.kubelet_port,
            ready=False,
            reason=ready["reason"],
            message=ready["message"],
        )
    for namespace in demo.NAMESPACES:
        apply_object(api, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    for obj in [*demo.secrets(), *demo.rbac()]:  # the demo's RBAC: what its people may do
        apply_object(api, obj)
    for obj in demo.rollouts():
        apply_object(api, obj)
        # Each rollout must reach its ReplicaSet before the next, so revisions keep their order.
        wait_for(lambda obj=obj: _observed(api, obj), f"deployment {obj['metadata']['name']} observed")  # type: ignore[misc]
    for obj in demo.rollouts():
        wait_for(lambda obj=obj: _settled(api, obj), f"deployment {obj['metadata']['name']} rolled out")  # type: ignore[misc]
    wait_for(lambda: _crashing(api), "checkout to crash-loop")
    _seed_workloads(api)
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    for i, seed in enumerate(demo.events()):
        pod = _pods(api, seed.namespace, seed.deployment)[0]["metadata"]["name"] if seed.deployment else None
        apply_object(api, demo.event_object(seed, pod=pod, index=i, now=now))


def _seed_workloads(api: ApiClient) -> None:
    """The StatefulSet, DaemonSet, HPA, CronJob (and its failed Job), Service, Ingress, CRD and its objects."""
    for obj in demo.workloads():
        if obj["kind"] == "Certificate":  # its CRD must be established before its objects are served
            wait_for(lambda: _served(api, "/apis/cert-manager.io/v1", "certificates"), "the Certificate CRD served")
        apply_object(api, obj)
    cronjob = request(api, "GET", "/apis/batch/v1beta1/namespaces/payments/cronjobs/nightly-report")
    apply_object(api, demo.report_job(cronjob))
    path = f"/apis/batch/v1/namespaces/payments/jobs/{demo.REPORT_JOB}"
    wait_for(lambda: _failed(request(api, "GET", path)), "the nightly report's Job to fail")
    sts = "/apis/apps/v1/namespaces/data/statefulsets/db"
    wait_for(lambda: request(api, "GET", sts).get("status", {}).get("readyReplicas") == 2, "db ready")
    hpa = "/apis/autoscaling/v2beta2/namespaces/payments/horizontalpodautoscalers/api"
    wait_for(lambda: request(api, "GET", hpa).get("status", {}).get("currentReplicas") == 2, "the HPA's first look")
    ds = "/apis/apps/v1/namespaces/kube-system/daemonsets/node-agent"
    wait_for(lambda: _daemon_ready(request(api, "GET", ds)), "node-agent on every node")


def _served(api: ApiClient, path: str, resource: str) -> bool:
    try:
        return any(r["name"] == resource for r in request(api, "GET", path)["resources"])
    except ApiException:
        return False


def _failed(job: JSON) -> bool:
    return any(c["type"] == "Failed" and c["status"] == "True" for c in job.get("status", {}).get("conditions") or [])


def _daemon_ready(ds: JSON) -> bool:
    status = ds.get("status", {})
    return status.get("desiredNumberScheduled", 0) > 0 and status.get("numberReady") == status.get(
        "desiredNumberScheduled"
    )
