"""Following rollouts live: success, pod failures, the progress deadline, a cluster lost midway.

Against the real control plane (the controller-manager rolls ReplicaSets; the fake node agent
makes pods ready, or fails them by image tag) and against the simulated demo.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.pipeline import Progress
from commands.replies import Actions
from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.text import render
from tests.chat import Chat, chat
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.proxy import TcpProxy
from tests.cluster.rest import request
from tests.demo_seed import wait_for
from tests.manifests import deployment
from tests.policies import writers

WRITERS = writers("alice")


def follow(c: Chat) -> tuple[Progress, list[Progress]]:
    shown: list[Progress] = []
    final = c.follow(shown.append)
    assert final is not None, f"the reply started no rollout: {render(c.last)}"
    return final, shown


def buttons(progress: Progress) -> list[str]:
    return [b.command for block in progress.reply.blocks if isinstance(block, Actions) for b in block.buttons]


# --- the simulated demo ---------------------------------------------------------------------------


def test_demo_deploy_is_followed_to_the_end() -> None:
    c = chat(SimulatedCluster.demo(), policy=WRITERS)
    c.say("deploy web nginx:1.26")
    final, _ = follow(c)
    assert final.state.phase == "complete"
    assert (final.state.updated, final.state.available, final.state.desired) == (3, 3, 3)
    assert "Rolled out in" in render(final.reply)
    assert "Deploying `nginx:1.26` to `web`" in render(final.reply)  # the change stays on top


def test_demo_broken_image_fails_naming_the_pod_and_offers_a_rollback() -> None:
    c = chat(SimulatedCluster.demo(), policy=WRITERS)
    c.say("deploy web nginx:broken")
    final, _ = follow(c)
    assert final.state.phase == "failed"
    assert "ImagePullBackOff" in (final.state.reason or "")
    assert final.state.failures[0].pod.startswith("web-")
    assert "rollback web -n shop --cluster demo" in buttons(final)
    assert not final.reply.ok
    c.say("rollback web -n shop --cluster demo")
    assert follow(c)[0].state.phase == "complete"


def test_a_change_without_a_rollout_is_not_followed() -> None:
    c = chat(SimulatedCluster.demo(), policy=WRITERS)
    c.say("scale web 3")  # already 3: nothing to follow
    assert c.last.follow is None and c.follow() is None


def test_deleting_the_deployment_midway_is_reported_as_lost() -> None:
    cluster = SimulatedCluster.demo()
    c = chat(cluster, policy=WRITERS)
    c.say("deploy search nginx:1.26")  # search stays Pending: its nodeSelector matches no node
    results: list[Progress | None] = []
    worker = threading.Thread(target=lambda: results.append(c.follow()))
    worker.start()
    time.sleep(0.3)
    assert worker.is_alive(), "a pending rollout must not end by itself"
    cluster._remove("deployments", "shop", "search")  # as `kubectl delete` would
    worker.join(10)
    final = results[0]
    assert final is not None and final.state.phase == "lost"
    assert "search" in (final.state.reason or "") and "Lost track" in render(final.reply)


# --- the real control plane -----------------------------------------------------------------------


@pytest.fixture
def real(control_plane: ControlPlane, namespace: str) -> Iterator[tuple[Chat, KubeCluster]]:
    clusters, _ = clusters_from_kubeconfig(str(control_plane.admin_kubeconfig), timeout=10)
    admin = clusters[0]
    admin.default_namespace = namespace
    yield chat(admin, policy=WRITERS), admin


def _create(control_plane: ControlPlane, manifest: dict[str, object], *, available: int | None = None) -> None:
    api = control_plane.admin_api_client()
    apply_objects(api, [manifest])
    if available is None:
        return
    meta = manifest["metadata"]
    assert isinstance(meta, dict)
    path = f"/apis/apps/v1/namespaces/{meta['namespace']}/deployments/{meta['name']}"
    wait_for(lambda: request(api, "GET", path).get("status", {}).get("availableReplicas") == available, "available")


def _pod_images(control_plane: ControlPlane, namespace: str, app: str) -> set[tuple[str, bool]]:
    pods = request(control_plane.admin_api_client(), "GET", f"/api/v1/namespaces/{namespace}/pods")["items"]
    return {
        (p["spec"]["containers"][0]["image"], all(s.get("ready") for s in p["status"].get("containerStatuses", [])))
        for p in pods
        if p["metadata"]["labels"].get("app") == app and not p["metadata"].get("deletionTimestamp")
    }


def test_real_deploy_is_followed_to_success(
    control_plane: ControlPlane, namespace: str, real: tuple[Chat, KubeCluster]
) -> None:
    c, _ = real
    _create(control_plane, deployment(namespace, "web", replicas=3), available=3)
    c.say("deploy web nginx:2")
    final, shown = follow(c)
    assert final.state.phase == "complete", final.state
    assert (final.state.updated, final.state.available, final.state.total) == (3, 3, 3)
    assert _pod_images(control_plane, namespace, "web") == {("nginx:2", True)}
    # It was followed, not judged once: there were states before the end, and none claimed success early.
    assert shown and all(p.state.phase in ("waiting", "progressing") for p in shown)


def test_real_broken_image_fails_with_the_pod_and_reason_and_rollback_restores(
    control_plane: ControlPlane, namespace: str, real: tuple[Chat, KubeCluster]
) -> None:
    c, _ = real
    _create(control_plane, deployment(namespace, "web", replicas=2), available=2)
    c.say("deploy web nginx:broken")
    final, _ = follow(c)
    assert final.state.phase == "failed", final.state
    failure = final.state.failures[0]
    assert failure.reason == "ImagePullBackOff" and failure.pod.startswith("web-") and failure.container == "c"
    pods = request(control_plane.admin_api_client(), "GET", f"/api/v1/namespaces/{namespace}/pods")["items"]
    assert failure.pod in {p["metadata"]["name"] for p in pods}
    assert f"pod `{failure.pod}` (c) ImagePullBackOff" in render(final.reply)
    rollback = f"rollback web -n {namespace} --cluster {c.pipeline.clusters.default}"
    assert rollback in buttons(final)

    text = c.say(rollback)  # what the button runs
    assert "nginx:broken → nginx:1" in text and "Rolling back `web` to revision 1" in text
    assert follow(c)[0].state.phase == "complete"
    wait_for(lambda: _pod_images(control_plane, namespace, "web") == {("nginx:1", True)}, "old pods back")


def test_real_progress_deadline_fails_the_rollout_with_the_scheduler_reason(
    control_plane: ControlPlane, namespace: str, real: tuple[Chat, KubeCluster]
) -> None:
    c, _ = real
    stuck = deployment(namespace, "web", replicas=1)
    stuck["spec"]["progressDeadlineSeconds"] = 3
    stuck["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "nvme"}  # no node has it
    _create(control_plane, stuck)
    c.say("deploy web nginx:2")
    final, _ = follow(c)
    assert final.state.phase == "failed", final.state
    assert final.state.reason == "no progress within 3 s (progressDeadlineSeconds)"
    assert any("didn't match node selector" in p for p in final.state.pending)


def test_real_cluster_lost_during_a_rollout_is_reported_as_lost(
    control_plane: ControlPlane, namespace: str, tmp_path: Path
) -> None:
    stuck = deployment(namespace, "web", replicas=1)
    stuck["spec"]["template"]["spec"]["nodeSelector"] = {"disk": "nvme"}  # never finishes by itself
    _create(control_plane, stuck)
    port = int(control_plane.server.rsplit(":", 1)[1])
    with TcpProxy(port) as proxy:
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(proxy.rewrite(control_plane.admin_kubeconfig.read_text()))
        clusters, _ = clusters_from_kubeconfig(str(kubeconfig), timeout=5)
        clusters[0].default_namespace = namespace
        c = chat(clusters[0], policy=WRITERS)
        c.say("deploy web nginx:2")
        results: list[Progress | None] = []
        worker = threading.Thread(target=lambda: results.append(c.follow()))
        worker.start()
        time.sleep(1.0)
        assert worker.is_alive()
        proxy.cut()
        worker.join(30)
    final = results[0]
    assert final is not None and final.state.phase == "lost", final and final.state
    assert "unreachable" in (final.state.reason or "").lower() or "refused" in (final.state.reason or "")
    assert "Lost track of the rollout" in render(final.reply) and "Rolled out" not in render(final.reply)


# --- the contract: the demo follows rollouts as the real cluster does --------------------------------------


def test_contract_followed_rollouts_end_alike(
    control_plane: ControlPlane, namespace: str, real: tuple[Chat, KubeCluster]
) -> None:
    real_chat, cluster = real
    _create(control_plane, deployment(namespace, "web", replicas=2), available=2)
    simulated = SimulatedCluster(cluster.name)
    simulated.add_namespace(namespace)
    simulated.default_namespace = namespace
    simulated.add_node(
        {
            "metadata": {"name": "node-1", "labels": {}},
            "spec": {},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
    )
    simulated.apply_deployment(deployment(namespace, "web", replicas=2))
    sim_chat = chat(simulated, policy=WRITERS)

    def outcome(c: Chat, text: str) -> tuple[object, ...]:
        c.say(text)
        state = follow(c)[0].state
        return state.phase, state.desired, state.available, [(f.container, f.reason) for f in state.failures]

    for text in ("deploy web nginx:2", "deploy web nginx:broken", "rollback web", "scale web 3", "restart web"):
        simulated_outcome, real_outcome = outcome(sim_chat, text), outcome(real_chat, text)
        assert simulated_outcome == real_outcome, f"{text}: simulated {simulated_outcome}, real {real_outcome}"
