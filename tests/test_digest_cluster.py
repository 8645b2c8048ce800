"""Digests of a real control plane with seeded failures: exactly those problems, and a fix
shown resolved in the next digest (snapshots kept in a real redis-server)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from kubernetes.client import ApiClient

from bot.digest.service import DigestMaker
from integrations.cluster.clusters import Clusters
from integrations.cluster.kube import clusters_from_kubeconfig
from integrations.store.redis_store import RedisStore
from tests.cluster.controlplane import ControlPlane
from tests.cluster.node_agent import create_node
from tests.cluster.objects import apply_objects
from tests.cluster.rest import MERGE_PATCH, request
from tests.demo_seed import wait_for
from tests.manifests import deployment

pytestmark = pytest.mark.cluster


def pods(api: ApiClient, namespace: str, app: str) -> list[dict[str, object]]:
    path = f"/api/v1/namespaces/{namespace}/pods"
    found: list[dict[str, object]] = request(api, "GET", path, query={"labelSelector": f"app={app}"})["items"]
    return found


def waiting_reason(pod: dict[str, object]) -> str | None:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []  # type: ignore[attr-defined]
    return next((s["state"]["waiting"]["reason"] for s in statuses if "waiting" in s.get("state", {})), None)


def unscheduled(pod: dict[str, object]) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []  # type: ignore[attr-defined]
    return any(c["type"] == "PodScheduled" and c["status"] == "False" for c in conditions)


def not_ready_nodes(api: ApiClient) -> set[str]:
    nodes = request(api, "GET", "/api/v1/nodes")["items"]
    return {
        n["metadata"]["name"]
        for n in nodes
        if not any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))
    }


@pytest.fixture
def broken_node(control_plane: ControlPlane, admin_api: ApiClient, namespace: str) -> Iterator[str]:
    """A NotReady node of this test's own (created NotReady, so nothing is ever scheduled to it)."""
    name = f"node-{namespace}"
    create_node(admin_api, name, control_plane.kubelet_port, ready=False, message="PLEG is not healthy")
    yield name
    request(admin_api, "DELETE", f"/api/v1/nodes/{name}")


def test_real_digest_names_exactly_the_seeded_problems_then_a_fix_as_resolved(
    control_plane: ControlPlane, admin_api: ApiClient, namespace: str, broken_node: str, redis_url: str
) -> None:
    stuck = deployment(namespace, "stuck", 1)
    stuck["spec"]["template"]["spec"]["nodeSelector"] = {"pool": "nowhere"}
    apply_objects(
        admin_api,
        [
            deployment(namespace, "fine", 2),
            deployment(namespace, "crashy", 1, image="ghcr.io/acme/crashy:crash"),
            stuck,
        ],
    )
    wait_for(
        lambda: any(waiting_reason(p) == "CrashLoopBackOff" for p in pods(admin_api, namespace, "crashy")), "crash"
    )
    wait_for(lambda: any(unscheduled(p) for p in pods(admin_api, namespace, "stuck")), "stuck pending")
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/fine"
    wait_for(lambda: request(admin_api, "GET", path).get("status", {}).get("availableReplicas") == 2, "fine ready")

    clusters, current = clusters_from_kubeconfig(str(control_plane.admin_kubeconfig), timeout=10)
    maker = DigestMaker(Clusters(clusters, current), RedisStore(redis_url, prefix=f"{namespace}:"))
    digest = maker.make("C-REAL", None, namespace, now=datetime.now(UTC))

    crashy_pod = pods(admin_api, namespace, "crashy")[0]["metadata"]["name"]  # type: ignore[index]
    stuck_pod = pods(admin_api, namespace, "stuck")[0]["metadata"]["name"]  # type: ignore[index]
    expected = {("node-not-ready", f"node/{n}") for n in not_ready_nodes(admin_api)} | {
        ("unavailable", "deployment/crashy"),
        ("unavailable", "deployment/stuck"),
        ("crash-loop", f"pod/{crashy_pod}"),
        ("pending", f"pod/{stuck_pod}"),
    }
    assert ("node-not-ready", f"node/{broken_node}") in expected
    assert {(p.category, p.object(cluster_wide=False)) for p in digest.problems} == expected
    assert [(pod, last) for pod, _, last in digest.crashing] == [(crashy_pod, "Error (exit 1)")]
    pending = next(p for p in digest.problems if p.category == "pending")
    assert "didn't match node selector" in pending.text
    assert digest.first and digest.new == () and digest.resolved == ()

    # Fix the crash loop: a good image; the next digest shows it resolved, and nothing new.
    crashy = f"/apis/apps/v1/namespaces/{namespace}/deployments/crashy"
    fix = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:1"}]}}}}
    request(admin_api, "PATCH", crashy, fix, content_type=MERGE_PATCH)

    def fixed() -> bool:
        running = pods(admin_api, namespace, "crashy")
        available = request(admin_api, "GET", crashy).get("status", {}).get("availableReplicas") == 1
        return available and len(running) == 1 and waiting_reason(running[0]) is None

    wait_for(fixed, "crashy fixed")
    after = maker.make("C-REAL", None, namespace, now=datetime.now(UTC))
    assert {(s.object, s.text.split(" (")[0]) for s in after.resolved} == {
        ("deployment/crashy", "0/1 available"),
        (f"pod/{crashy_pod}", "CrashLoopBackOff"),
    }
    assert after.new == ()
    assert {p.category for p in after.problems} == {"node-not-ready", "unavailable", "pending"}
