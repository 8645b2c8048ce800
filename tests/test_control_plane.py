"""The test control plane behaves like a small real cluster (apiserver, controllers, fake node)."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from kubernetes import client
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

from tests.cluster.controlplane import ControlPlane
from tests.cluster.fixtures import admin_api, control_plane, namespace
from tests.cluster.objects import apply_objects
from tests.cluster.rest import JSON, request

__all__ = ["admin_api", "control_plane", "namespace"]  # fixtures, found by pytest by name

T = TypeVar("T")


def wait_for(probe: Callable[[], T | None], timeout: float = 20, what: str = "condition") -> T:
    """Polls `probe` until it returns a truthy value; API errors count as "not yet"."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            if value := probe():
                return value
        except ApiException as e:
            last = e
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what} (last error: {last})")


def pod(name: str, ns: str, image: str = "nginx:1.19", **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"containers": [{"name": "app", "image": image}], **spec},
    }


def deployment(name: str, ns: str, replicas: int, image: str = "nginx:1.19") -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}, {"name": "sidecar", "image": "envoy:1.16"}]},
            },
        },
    }


def get_pod(api: ApiClient, name: str, ns: str) -> JSON:
    return request(api, "GET", f"/api/v1/namespaces/{ns}/pods/{name}")  # type: ignore[no-any-return]


def container_status(api: ApiClient, name: str, ns: str) -> JSON | None:
    statuses = get_pod(api, name, ns).get("status", {}).get("containerStatuses") or []
    return statuses[0] if statuses else None


def pod_condition(api: ApiClient, name: str, ns: str, kind: str) -> JSON | None:
    conditions = get_pod(api, name, ns).get("status", {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == kind), None)


def test_apiserver_is_ready_and_v1_20_2(control_plane: ControlPlane, admin_api: ApiClient) -> None:
    assert request(admin_api, "GET", "/readyz") == "ok"
    assert client.VersionApi(admin_api).get_code().git_version == "v1.20.2"
    assert control_plane.startup_seconds < 30


def test_deployment_becomes_available(admin_api: ApiClient, namespace: str) -> None:
    apply_objects(admin_api, [deployment("web", namespace, replicas=2)])
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/web"
    status = wait_for(
        lambda: (d := request(admin_api, "GET", path)["status"]).get("availableReplicas") == 2 and d,
        20,
        "2/2 available replicas",
    )
    assert status["readyReplicas"] == 2
    # The typed client must read what the fake node agent writes.
    pods = client.CoreV1Api(admin_api).list_namespaced_pod(namespace, label_selector="app=web")
    assert len(pods.items) == 2
    for p in pods.items:
        assert p.status and p.spec and p.status.container_statuses
        assert (p.status.phase, p.spec.node_name) == ("Running", "node-1")
        assert all(c.ready and c.state and c.state.running for c in p.status.container_statuses)


def test_deleted_pod_goes_away(admin_api: ApiClient, namespace: str) -> None:
    apply_objects(admin_api, [pod("doomed", namespace)])
    wait_for(lambda: get_pod(admin_api, "doomed", namespace)["status"].get("phase") == "Running", 10, "pod running")
    client.CoreV1Api(admin_api).delete_namespaced_pod("doomed", namespace)

    def gone() -> bool:
        try:
            get_pod(admin_api, "doomed", namespace)
        except ApiException as e:
            return bool(e.status == 404)
        return False

    wait_for(gone, 10, "graceful deletion to finish")


def test_crash_image_crash_loops_with_rising_restarts(admin_api: ApiClient, namespace: str) -> None:
    apply_objects(admin_api, [pod("crasher", namespace, image="registry.local/app:crash")])
    first = wait_for(lambda: container_status(admin_api, "crasher", namespace), 10, "status")
    assert first["restartCount"] > 0
    assert first["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    assert first["lastState"]["terminated"]["exitCode"] == 1
    assert first["ready"] is False
    wait_for(
        lambda: (s := container_status(admin_api, "crasher", namespace)) and s["restartCount"] > first["restartCount"],
        10,
        "restartCount to rise",
    )


@pytest.mark.parametrize(
    ("tag", "phase", "waiting", "terminated"),
    [
        ("broken", "Pending", "ImagePullBackOff", None),
        ("oom", "Running", "CrashLoopBackOff", "OOMKilled"),
    ],
)
def test_simulated_faults(
    admin_api: ApiClient, namespace: str, tag: str, phase: str, waiting: str, terminated: str | None
) -> None:
    apply_objects(admin_api, [pod("faulty", namespace, image=f"app:{tag}")])
    status = wait_for(lambda: container_status(admin_api, "faulty", namespace), 10, "status")
    assert get_pod(admin_api, "faulty", namespace)["status"]["phase"] == phase
    assert status["state"]["waiting"]["reason"] == waiting
    assert status["lastState"].get("terminated", {}).get("reason") == terminated


def test_unmatched_node_selector_stays_pending(admin_api: ApiClient, namespace: str) -> None:
    apply_objects(admin_api, [pod("picky", namespace, nodeSelector={"disktype": "ssd"})])
    cond = wait_for(lambda: pod_condition(admin_api, "picky", namespace, "PodScheduled"), 10, "PodScheduled condition")
    assert (cond["status"], cond["reason"]) == ("False", "Unschedulable")
    assert "didn't match node selector" in cond["message"]
    p = get_pod(admin_api, "picky", namespace)
    assert p["status"]["phase"] == "Pending" and "nodeName" not in p["spec"]


def test_pod_logs_tail_through_apiserver(admin_api: ApiClient, namespace: str) -> None:
    apply_objects(admin_api, [pod("talker", namespace)])
    core = client.CoreV1Api(admin_api)
    wait_for(lambda: get_pod(admin_api, "talker", namespace)["spec"].get("nodeName"), 10, "binding")
    logs: str = wait_for(lambda: core.read_namespaced_pod_log("talker", namespace, tail_lines=3), 10, "logs")
    assert len(logs.splitlines()) == 3
    full = core.read_namespaced_pod_log("talker", namespace)
    assert full.splitlines()[-3:] == logs.splitlines()


def test_bot_is_forbidden_until_role_binding(control_plane: ControlPlane, admin_api: ApiClient, namespace: str) -> None:
    bot = client.CoreV1Api(control_plane.bot_api_client())
    with pytest.raises(ApiException) as denied:
        bot.list_namespaced_pod(namespace)
    assert denied.value.status == 403

    rbac = "rbac.authorization.k8s.io/v1"
    apply_objects(
        admin_api,
        [
            {
                "apiVersion": rbac,
                "kind": "Role",
                "metadata": {"name": "reader", "namespace": namespace},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
            },
            {
                "apiVersion": rbac,
                "kind": "RoleBinding",
                "metadata": {"name": "bot-reads", "namespace": namespace},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
                "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": control_plane.bot_user}],
            },
        ],
    )
    wait_for(lambda: bot.list_namespaced_pod(namespace).items is not None, 10, "bot allowed")


def test_not_ready_and_cordoned_nodes_get_no_pods(
    control_plane: ControlPlane, admin_api: ApiClient, namespace: str
) -> None:
    control_plane.add_node("sick", ready=False, message="PLEG is not healthy")
    control_plane.add_node("cordoned", unschedulable=True)
    apply_objects(
        admin_api, [pod(f"to-{n}", namespace, nodeSelector={"kubernetes.io/hostname": n}) for n in ("sick", "cordoned")]
    )

    def says(name: str, text: str) -> bool:
        cond = pod_condition(admin_api, name, namespace, "PodScheduled") or {}
        return cond.get("reason") == "Unschedulable" and text in cond.get("message", "")

    wait_for(lambda: says("to-sick", "1 node(s) were not ready"), 10, "not-ready message")
    wait_for(lambda: says("to-cordoned", "1 node(s) were unschedulable"), 10, "cordoned message")
    time.sleep(2)  # a few agent ticks: nothing may bind the pods or heal the node
    assert "nodeName" not in get_pod(admin_api, "to-sick", namespace)["spec"]
    node = client.CoreV1Api(admin_api).read_node("sick")
    assert node.status and node.status.conditions
    ready = next(c for c in node.status.conditions if c.type == "Ready")
    assert (ready.status, ready.reason, ready.message) == ("False", "KubeletNotReady", "PLEG is not healthy")


def test_kubeconfigs_work_with_kubectl(control_plane: ControlPlane) -> None:
    bundled = control_plane.bin_dir / "kubectl"
    exe = str(bundled) if bundled.exists() else shutil.which("kubectl")
    if not exe:
        pytest.skip("no kubectl (build.sh fetches one into the bin dir)")

    def run(kubeconfig: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [exe, "--kubeconfig", kubeconfig, *args], check=False, capture_output=True, text=True, timeout=30
        )

    assert "node-1" in run(str(control_plane.admin_kubeconfig), "get", "nodes").stdout
    denied = run(str(control_plane.bot_kubeconfig), "get", "pods")
    assert denied.returncode != 0 and "forbidden" in denied.stderr.lower()
