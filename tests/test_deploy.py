"""Changing Deployments from chat: scale and restart, with dry-run previews, change-causes,
confirmation of destructive steps, policy, RBAC and optimistic concurrency."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from commands.errors import Conflict
from commands.replies import Table
from integrations.cluster import patches, resources, workloads
from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig
from integrations.cluster.model import REVISION
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from tests.chat import Chat, chat
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request
from tests.demo_seed import wait_for
from tests.manifests import deployment, view_binding
from tests.policies import nobody, writers

WRITERS = writers("alice")


def rows(c: Chat) -> list[tuple[str, ...]]:
    return [r for b in c.last.blocks if isinstance(b, Table) for r in b.rows]


@pytest.fixture
def demo() -> Chat:
    return chat(SimulatedCluster.demo(), policy=WRITERS)


# --- the simulated demo ---------------------------------------------------------------------------


def test_scale_changes_replicas_and_records_the_change_cause(demo: Chat) -> None:
    text = demo.say("scale web 5 --reason 'traffic spike'")
    assert text.startswith("Scaled `web` in namespace `shop` on `demo`")
    assert "3 → 5" in text
    assert "scale web 3→5 by alice from C-OPS via Pilothouse: traffic spike" in text
    demo.say("get pods -l app=web")
    assert len(rows(demo)) == 5
    demo.say("history web")
    assert rows(demo)[-1][3] == "scale web 3→5 by alice from C-OPS via Pilothouse: traffic spike"
    assert "nothing to do" in demo.say("scale web 5")


def test_scaling_to_zero_waits_for_yes(demo: Chat) -> None:
    text = demo.say("scale web 0")
    assert re.search(r"Confirm A-\w{4}: `scale web 0 --namespace shop --cluster demo`", text), text
    assert "Destructive: scaling to 0 stops every pod." in text and "3 → 0" in text
    demo.say("get pods -l app=web")
    assert len(rows(demo)) == 3  # nothing happened yet
    assert "Scaled `web`" in demo.say("yes")
    assert "No pods matching `app=web`" in demo.say("get pods -l app=web")
    assert "Nothing is waiting for your `yes` here." in demo.say("yes")  # used once only


def test_no_cancels_and_an_expired_confirmation_does_nothing(demo: Chat) -> None:
    demo.say("scale cart 0")
    assert re.fullmatch(
        r"· Cancelled A-\w{4}: `scale cart 0 --namespace shop --cluster demo` was not done\.", demo.say("no")
    )
    demo.say("scale cart 0")
    later = datetime.now(UTC) + timedelta(minutes=3)  # past the 2 minutes a confirmation waits
    demo.pipeline.approvals.clock = lambda: later
    assert "waited for your `yes` until" in demo.say("yes")
    assert "Nothing is waiting for your `yes` here." in demo.say("yes")  # said once
    demo.say("get deploy")
    assert ("cart", "2/2") in [(r[0], r[1]) for r in rows(demo)]


def test_only_the_person_who_asked_can_confirm_and_the_policy_is_checked_again() -> None:
    store = MemoryStore()
    cluster = SimulatedCluster.demo()
    alice, bob = chat(cluster, policy=WRITERS, store=store), chat(cluster, policy=WRITERS, store=store, user="bob")
    alice.say("scale web 0")
    assert "Nothing is waiting" in bob.say("yes")
    assert "You may not run `scale`" in bob.say("scale web 0")
    # Alice's rights are withdrawn while her change waits: her `yes` is refused.
    alice.pipeline.policy.current = nobody()
    assert "You may not run `scale` in namespace `shop` on `demo` from here: no binding grants it" in alice.say("yes")
    assert cluster.get_deployment("shop", "web").desired == 3


def test_writes_are_denied_without_a_rule(demo: Chat) -> None:
    text = chat(SimulatedCluster.demo(), policy=nobody()).say("scale web 5")
    assert "You may not run `scale`" in text and "default-deny" in text


def test_restart_makes_a_new_revision_with_new_pods(demo: Chat) -> None:
    demo.say("get pods -l app=web")
    old = {r[0] for r in rows(demo)}
    text = demo.say("restart web")
    assert "Revision:     2 → 3" in text
    demo.say("get pods -l app=web")
    assert len(rows(demo)) == 3 and not old & {r[0] for r in rows(demo)}
    demo.say("history web")
    assert rows(demo)[-1][0] == "3 (current)" and rows(demo)[-1][3].startswith("restart web by alice")


def test_a_dry_run_changes_nothing() -> None:
    cluster = SimulatedCluster.demo()
    deployments = resources.require(cluster, resources.DEPLOYMENTS)
    planned = workloads.change(cluster, deployments, "shop", "web", patches.scale(7), cause="test", dry_run=True)
    assert planned["spec"]["replicas"] == 7
    assert cluster.get_deployment("shop", "web").desired == 3
    restart = patches.restart("deployments", "2026-01-01T00:00:00Z")
    workloads.change(cluster, deployments, "shop", "web", restart, cause="test", dry_run=True)
    assert cluster.get_deployment("shop", "web").revision == 2


def test_bad_input(demo: Chat) -> None:
    assert "Invalid `REPLICAS`: Input should be greater than or equal to 0." in demo.say("scale web -1")
    assert "less than or equal to 1000" in demo.say("scale web 5000")
    assert "`ten` is not a whole number" in demo.say("scale web ten")
    assert "deployment `wbe` not found" in demo.say("scale wbe 2") and "`web`" in demo.say("scale wbe 2")
    assert "namespace `nope`" in demo.say("restart web -n nope") or "not found" in demo.say("restart web -n nope")


# --- the real control plane -----------------------------------------------------------------------


@pytest.fixture
def real(control_plane: ControlPlane, namespace: str) -> Iterator[tuple[Chat, KubeCluster, str]]:
    api = control_plane.admin_api_client()
    apply_objects(api, [deployment(namespace, "web")])
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/web"
    wait_for(lambda: request(api, "GET", path).get("status", {}).get("availableReplicas") == 2, "web available")
    clusters, _ = clusters_from_kubeconfig(str(control_plane.admin_kubeconfig), timeout=10)
    admin = clusters[0]
    admin.default_namespace = namespace
    yield chat(admin, policy=WRITERS), admin, path


def test_real_scale_and_dry_run(control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str]) -> None:
    c, cluster, path = real
    api = control_plane.admin_api_client()
    version = request(api, "GET", path)["metadata"]["resourceVersion"]
    deployments = resources.require(cluster, resources.DEPLOYMENTS)
    planned = workloads.change(
        cluster, deployments, cluster.default_namespace, "web", patches.scale(4), cause="dry", dry_run=True
    )
    assert planned["spec"]["replicas"] == 4
    stored = request(api, "GET", path)
    assert stored["metadata"]["resourceVersion"] == version and stored["spec"]["replicas"] == 2
    assert "2 → 4" in c.say("scale web 4 --reason load")
    stored = request(api, "GET", path)
    assert stored["spec"]["replicas"] == 4
    assert stored["metadata"]["annotations"]["kubernetes.io/change-cause"].endswith("via Pilothouse: load")
    managers = {m["manager"] for m in stored["metadata"]["managedFields"]}
    assert "pilothouse" in managers
    wait_for(lambda: request(api, "GET", path).get("status", {}).get("availableReplicas") == 4, "4 available")


def test_real_scale_to_zero_waits_for_yes(control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str]) -> None:
    c, _, path = real
    api = control_plane.admin_api_client()
    c.say("scale web 0")
    assert request(api, "GET", path)["spec"]["replicas"] == 2
    assert "2 → 0" in c.say("yes")
    assert request(api, "GET", path)["spec"]["replicas"] == 0


def test_real_restart_rolls_a_new_revision(control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str]) -> None:
    c, _, path = real
    api = control_plane.admin_api_client()
    assert "Rollout started" in c.say("restart web --reason 'new config'")
    stored = request(api, "GET", path)
    assert "kubectl.kubernetes.io/restartedAt" in stored["spec"]["template"]["metadata"]["annotations"]
    wait_for(
        lambda: request(api, "GET", path)["metadata"]["annotations"].get("deployment.kubernetes.io/revision") == "2",
        "rev 2",
    )
    c.say("history web")
    assert [r[0] for r in rows(c)] == ["1", "2 (current)"]
    assert rows(c)[-1][3].endswith("via Pilothouse: new config")


def test_real_rbac_refusal_names_the_patch(control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str]) -> None:
    _, cluster, _ = real
    api = control_plane.admin_api_client()
    namespace = cluster.default_namespace
    apply_objects(api, [view_binding(namespace, control_plane.bot_user)])
    clusters, _ = clusters_from_kubeconfig(str(control_plane.bot_kubeconfig), timeout=10)
    bot = clusters[0]
    bot.default_namespace = namespace
    text = chat(bot, policy=WRITERS).say("scale web 3")
    assert f"Kubernetes refused to patch deployments in namespace `{namespace}`" in text


def test_real_concurrent_changes_are_retried_or_reported(
    control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, cluster, path = real
    api = control_plane.admin_api_client()
    original = KubeCluster._request
    deployments = resources.require(cluster, resources.DEPLOYMENTS)

    def scale(replicas: int) -> dict[str, Any]:
        return workloads.change(
            cluster, deployments, cluster.default_namespace, "web", patches.scale(replicas), cause="race", dry_run=False
        )

    races: dict[str, Any] = {"left": 0, "change": None}

    def racing(self: KubeCluster, *args: Any, **kwargs: Any) -> bytes:
        if kwargs.get("method") == "PATCH" and races["left"] > 0:
            races["left"] -= 1
            # Someone else changes the Deployment between our read and our write.
            request(api, "PATCH", path, races["change"](races["left"]), content_type="application/merge-patch+json")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(KubeCluster, "_request", racing)
    # Metadata or status changes (controllers do this all the time): retried on fresh state.
    races.update(left=3, change=lambda n: {"metadata": {"labels": {"touched": f"t{n}"}}})
    assert scale(3)["spec"]["replicas"] == 3
    stored = request(api, "GET", path)
    assert stored["spec"]["replicas"] == 3 and stored["metadata"]["labels"]["touched"] == "t0"

    # A change to the spec itself: reported, never overwritten.
    races.update(left=1, change=lambda n: {"spec": {"replicas": 7}})
    with pytest.raises(Conflict, match="was changed by someone else meanwhile"):
        scale(1)
    assert request(api, "GET", path)["spec"]["replicas"] == 7
    assert workloads.PATCH_ATTEMPTS >= 2


def test_contract_scale_and_restart_match_the_real_cluster(
    control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str]
) -> None:
    real_chat, cluster, path = real
    simulated = SimulatedCluster(cluster.name)  # same name, so replies can be compared whole
    simulated.add_namespace(cluster.default_namespace)
    simulated.default_namespace = cluster.default_namespace
    simulated.add_node(
        {
            "metadata": {"name": "node-1", "labels": {}},
            "spec": {},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]},
        }
    )
    simulated.apply_deployment(deployment(cluster.default_namespace, "web"))
    sim_chat = chat(simulated, policy=WRITERS)
    api = control_plane.admin_api_client()

    def said(c: Chat, text: str) -> str:
        # The simulator is instant; a real cluster readies pods over the next second.
        return re.sub(r"\d+/\d+ ready so far", "n/n ready so far", c.say(text))

    for text in ("scale web 3 --reason more", "restart web --reason config"):
        assert said(sim_chat, text) == said(real_chat, text)

    def settled() -> bool:
        current = request(api, "GET", path)
        status, revision = current.get("status", {}), current["metadata"]["annotations"].get(REVISION)
        counts = (status.get("updatedReplicas"), status.get("availableReplicas"), status.get("replicas"))
        return revision == "2" and counts == (3, 3, 3)

    wait_for(settled, "restart rolled out")
    for text in ("history web", "get deploy"):
        columns = (0, 1, 3) if text == "history web" else (0, 1, 2, 3)
        sim_chat.say(text)
        expected = [tuple(r[i] for i in columns) for r in rows(sim_chat)]

        def converged(text: str = text, columns: tuple[int, ...] = columns, expected: object = expected) -> bool:
            # The simulator is instant; the real controllers converge to the same state.
            real_chat.say(text)
            return [tuple(r[i] for i in columns) for r in rows(real_chat)] == expected

        wait_for(converged, f"`{text}` to match the simulator: {expected}", timeout=30)


# --- rollback -------------------------------------------------------------------------------------


def test_rollback_restores_the_previous_template_as_a_new_revision(demo: Chat) -> None:
    text = demo.say("rollback web --reason 'bad release'")
    assert "Rolling back `web` to revision 1" in text and "nginx:1.25.3 → nginx:1.25.2" in text
    demo.say("history web")
    assert [(r[0], r[1]) for r in rows(demo)] == [("2", "nginx:1.25.3"), ("3 (current)", "nginx:1.25.2")]
    assert rows(demo)[-1][3].endswith("via Pilothouse: bad release")
    assert demo.say("rollback web --to-revision 3").startswith(
        "· Skipped: `web` already runs the template of revision 3"
    )
    assert "revision 9 is not in the history (revisions: 2, 3)" in demo.say("rollback web --to-revision 9")
    assert "there is no earlier revision to roll back to" in demo.say("rollback cart")
    assert "Invalid `--to-revision`" in demo.say("rollback web --to-revision 0")


def test_real_rollback_matches_kubectl_rollout_undo(
    control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str]
) -> None:
    c, _, path = real
    api = control_plane.admin_api_client()
    image = {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "nginx:2"}]}}}}
    request(api, "PATCH", path, image, content_type="application/strategic-merge-patch+json")

    def at_revision(n: str) -> Any:
        return lambda: request(api, "GET", path)["metadata"]["annotations"].get(REVISION) == n

    wait_for(at_revision("2"), "revision 2")
    assert "nginx:2 → nginx:1" in c.say("rollback web")
    wait_for(at_revision("3"), "revision 3")
    assert request(api, "GET", path)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1"
    c.say("history web")
    assert [(r[0], r[1]) for r in rows(c)] == [("2", "nginx:2"), ("3 (current)", "nginx:1")]
    assert "Skipped" in c.say("rollback web --to-revision 3")
    assert "revision 7 is not in the history (revisions: 2, 3)" in c.say("rollback web --to-revision 7")


# --- pause, resume, cordon, uncordon ----------------------------------------------------------------


def test_pause_holds_template_changes_until_resume(demo: Chat) -> None:
    assert "Paused `web`" in demo.say("pause web")
    assert "already paused" in demo.say("pause web")
    assert "`web` is paused: resume it first" in demo.say("rollback web")
    assert "`web` is paused: resume it first" in demo.say("restart web")
    assert "3 → 4" in demo.say("scale web 4")  # scaling still works while paused
    assert "Resumed `web`" in demo.say("resume web")
    assert "not paused" in demo.say("resume web")


def test_cordon_asks_first_and_uncordon_undoes_it(demo: Chat) -> None:
    assert "Destructive: no new pods will be scheduled on the node." in demo.say("cordon node-1")
    demo.say("get nodes")
    assert rows(demo)[0][1] == "Ready"
    assert "Cordoned node `node-1`" in demo.say("yes")
    demo.say("get nodes")
    assert rows(demo)[0][1] == "Ready,SchedulingDisabled"
    assert "Uncordoned node `node-1`" in demo.say("uncordon node-1")
    assert "Similar names: `node-1`, `node-2`." in demo.say("cordon nod-1")


def test_node_changes_need_a_rule_for_every_namespace() -> None:
    shop_only = writers("alice", namespaces=("shop",), name="shop", cluster_wide=False)
    text = chat(SimulatedCluster.demo(), policy=shop_only).say("uncordon node-1")
    assert "You may not run `uncordon` cluster-wide on `demo`" in text


def test_real_pause_resume_and_cordon(control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str]) -> None:
    c, _, path = real
    api = control_plane.admin_api_client()
    c.say("pause web")
    assert request(api, "GET", path)["spec"]["paused"] is True
    c.say("resume web")
    assert not request(api, "GET", path)["spec"].get("paused")
    node = "node-1"
    try:
        c.say(f"cordon {node}")
        assert not request(api, "GET", f"/api/v1/nodes/{node}")["spec"].get("unschedulable")
        assert "Cordoned" in c.say("yes")
        assert request(api, "GET", f"/api/v1/nodes/{node}")["spec"]["unschedulable"] is True
    finally:
        c.say(f"uncordon {node}")  # other tests schedule pods on it
    assert not request(api, "GET", f"/api/v1/nodes/{node}")["spec"].get("unschedulable")


def test_delete_pod_asks_first_and_the_replicaset_replaces_it(demo: Chat) -> None:
    demo.say("get pods -l app=checkout")
    (pod,) = [r[0] for r in rows(demo)]
    text = demo.say(f"delete pod {pod}")
    assert f"`delete pod {pod}" in text and "its ReplicaSet starts a replacement" in text
    assert "Deleted pod" in demo.say("yes")
    demo.say("get pods -l app=checkout")
    (replacement,) = [r[0] for r in rows(demo)]
    assert replacement != pod and replacement.startswith("checkout-")
    assert "Similar names" in demo.say(f"delete pod {pod}")


def test_real_delete_pod(control_plane: ControlPlane, real: tuple[Chat, KubeCluster, str]) -> None:
    c, cluster, _ = real
    api = control_plane.admin_api_client()
    namespace = cluster.default_namespace
    before = {p.name for p in cluster.list_pods(namespace, "app=web")}
    victim = sorted(before)[0]
    c.say(f"delete pod {victim}")
    assert victim in {p.name for p in cluster.list_pods(namespace, "app=web")}  # not before `yes`
    assert "Deleted pod" in c.say("yes")

    def replaced() -> bool:
        pods = request(api, "GET", f"/api/v1/namespaces/{namespace}/pods", query={"labelSelector": "app=web"})["items"]
        names = {p["metadata"]["name"] for p in pods if not p["metadata"].get("deletionTimestamp")}
        return victim not in names and len(names) == 2

    wait_for(replaced, "a replacement pod")


# --- deploy (set image) ---------------------------------------------------------------------------


def test_deploy_sets_the_image_and_records_it(demo: Chat) -> None:
    text = demo.say("deploy web nginx:1.26.0 --reason 'CVE fix'")
    assert "nginx: nginx:1.25.3 → nginx:1.26.0" in text and "Revision:     2 → 3" in text
    demo.say("history web")
    assert rows(demo)[-1][:2] == ("3 (current)", "nginx:1.26.0")
    assert "nothing to do" in demo.say("deploy web nginx:1.26.0")
    assert "`rollback web` undoes it" in text
    assert "nginx:1.25.3" in demo.say("rollback web")


def test_deploy_asks_which_container_when_there_are_several(demo: Chat) -> None:
    from commands.replies import Actions

    text = demo.say("deploy api ghcr.io/acme/payments-api:3.5.0 -n payments")
    assert "`api` has 2 containers: which one gets" in text
    (actions,) = [b for b in demo.last.blocks if isinstance(b, Actions)]
    commands = [b.command for b in actions.buttons]
    assert commands == [
        "deploy api ghcr.io/acme/payments-api:3.5.0 -c api -n payments",
        "deploy api ghcr.io/acme/payments-api:3.5.0 -c envoy -n payments",
    ]
    assert all(b.changes_cluster for b in actions.buttons)
    demo.say(commands[0])
    demo.say("get deploy -n payments -o wide")
    assert ("api", "ghcr.io/acme/payments-api:3.5.0,envoyproxy/envoy:v1.29.1") in [(r[0], r[6]) for r in rows(demo)]


@pytest.mark.parametrize(
    "image", ["Nginx:1", "nginx:", "nginx::1", "http://registry/x", "web@sha256:123", "a b", "x" * 600]
)
def test_bad_image_references_are_refused_before_any_call(demo: Chat, image: str) -> None:
    assert "is not an image reference" in demo.say(f"deploy web '{image}'")


def test_real_deploy_keeps_the_sidecar_and_shows_a_broken_image(control_plane: ControlPlane, namespace: str) -> None:
    api = control_plane.admin_api_client()
    two = deployment(namespace, "api", replicas=1)
    two["spec"]["template"]["spec"]["containers"].append({"name": "envoy", "image": "envoyproxy/envoy:v1.29.1"})
    apply_objects(api, [two])
    path = f"/apis/apps/v1/namespaces/{namespace}/deployments/api"
    wait_for(lambda: request(api, "GET", path).get("status", {}).get("availableReplicas") == 1, "api available")
    clusters, _ = clusters_from_kubeconfig(str(control_plane.admin_kubeconfig), timeout=10)
    c = chat(clusters[0], policy=WRITERS)
    assert "which one gets" in c.say(f"deploy api nginx:broken -n {namespace}")
    assert "Rollout started" in c.say(f"deploy api nginx:broken -c c -n {namespace}")
    containers = request(api, "GET", path)["spec"]["template"]["spec"]["containers"]
    assert [(x["name"], x["image"]) for x in containers] == [
        ("c", "nginx:broken"),
        ("envoy", "envoyproxy/envoy:v1.29.1"),
    ]

    def pulling_fails() -> bool:
        pods = request(api, "GET", f"/api/v1/namespaces/{namespace}/pods")["items"]
        return any(
            (s.get("state", {}).get("waiting") or {}).get("reason") == "ImagePullBackOff"
            for p in pods
            for s in p.get("status", {}).get("containerStatuses") or []
        )

    wait_for(pulling_fails, "ImagePullBackOff")
    assert "ImagePullBackOff" in c.say(f"status -n {namespace}")
