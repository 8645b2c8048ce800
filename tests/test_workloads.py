"""StatefulSets, DaemonSets, CronJobs, HPAs and CRDs from chat, on the real control plane (its
controllers roll the pods; the fake node agent readies them, or fails them by image tag) and
on the simulated demo."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from bot.pipeline import Progress
from commands.replies import Actions, Table
from integrations.cluster import discovery, resources
from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.text import render
from tests.chat import Chat, chat
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request
from tests.demo_seed import wait_for
from tests.manifests import deployment
from tests.policies import demo_admin, writers

WRITERS = writers("alice")
Json = dict[str, Any]


def follow(c: Chat) -> Progress:
    final = c.follow()
    assert final is not None, f"the reply started nothing to follow: {render(c.last)}"
    return final


def buttons(progress: Progress) -> list[str]:
    return [b.command for block in progress.reply.blocks if isinstance(block, Actions) for b in block.buttons]


def rows(c: Chat) -> list[tuple[str, ...]]:
    return [r for b in c.last.blocks if isinstance(b, Table) for r in b.rows]


def template(app: str, image: str, **spec: Any) -> Json:
    return {"metadata": {"labels": {"app": app}}, "spec": {"containers": [{"name": "c", "image": image}], **spec}}


def statefulset(namespace: str, name: str, replicas: int = 2, image: str = "nginx:1", **strategy: Any) -> Json:
    spec: Json = {
        "replicas": replicas,
        "serviceName": name,
        "selector": {"matchLabels": {"app": name}},
        "template": template(name, image),
    }
    if strategy:
        spec["updateStrategy"] = strategy
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def daemonset(namespace: str, name: str, image: str = "busybox:1") -> Json:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"selector": {"matchLabels": {"app": name}}, "template": template(name, image)},
    }


def cronjob(api_version: str, namespace: str, name: str, image: str) -> Json:
    job = {"backoffLimit": 0, "template": template(name, image, restartPolicy="Never")}
    return {
        "apiVersion": api_version,
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": job}},
    }


@pytest.fixture
def real(control_plane: ControlPlane, namespace: str) -> Iterator[tuple[Chat, KubeCluster, Any]]:
    clusters, _ = clusters_from_kubeconfig(str(control_plane.admin_kubeconfig), timeout=10)
    admin = clusters[0]
    admin.default_namespace = namespace
    yield chat(admin, policy=WRITERS), admin, control_plane.admin_api_client()


def _ready(api: Any, path: str, field: str, wanted: int) -> None:
    wait_for(lambda: request(api, "GET", path).get("status", {}).get(field) == wanted, f"{path} {field}={wanted}")


def _images(api: Any, namespace: str, app: str) -> set[tuple[str, bool]]:
    pods = request(api, "GET", f"/api/v1/namespaces/{namespace}/pods", query={"labelSelector": f"app={app}"})["items"]
    return {
        (
            p["spec"]["containers"][0]["image"],
            all(s.get("ready") for s in p.get("status", {}).get("containerStatuses", [])),
        )
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
    }


# --- StatefulSets ----------------------------------------------------------------------------------


@pytest.mark.cluster
def test_real_statefulset_rollout_a_broken_image_named_and_rolled_back(real: tuple[Chat, KubeCluster, Any]) -> None:
    c, cluster, api = real
    ns = cluster.default_namespace
    apply_objects(api, [statefulset(ns, "db")])
    _ready(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets/db", "readyReplicas", 2)

    text = c.say("deploy sts/db nginx:2 --reason 'minor upgrade'")
    assert "Deploying `nginx:2` to StatefulSet `db`" in text and "`rollback sts/db` undoes it" in text
    final = follow(c)
    assert final.state.phase == "complete", final.state
    assert _images(api, ns, "db") == {("nginx:2", True)}

    c.say("deploy sts/db nginx:broken")
    failed = follow(c)
    assert failed.state.phase == "failed", failed.state
    failure = failed.state.failures[0]
    assert (failure.pod, failure.reason) == ("db-1", "ImagePullBackOff")  # updated from the highest ordinal down
    assert f"rollback sts/db -n {ns} --cluster {cluster.name}" in buttons(failed)
    # A StatefulSet below its replicas is a problem, as a Deployment is (once its status says so).
    wait_for(lambda: "statefulset/db  1/2 available" in c.say(f"status -n {ns}"), "status to name the StatefulSet")
    assert "StatefulSets, DaemonSets: 0/1 fully available" in render(c.last)

    text = c.say(f"rollback sts/db -n {ns} --cluster {cluster.name}")
    assert "Rolling back StatefulSet `db`" in text and "nginx:broken → nginx:2" in text
    assert follow(c).state.phase == "complete"
    wait_for(lambda: _images(api, ns, "db") == {("nginx:2", True)}, "db back on nginx:2")

    c.say("history sts/db")
    history = rows(c)
    assert [r[1] for r in history] == ["nginx:1", "nginx:broken", "nginx:2"]
    # The revived revision keeps the change-cause it was made with, as the StatefulSet controller keeps it.
    assert history[-1][0].endswith("(current)") and history[-1][3].endswith("via Pilothouse: minor upgrade")
    assert "(Kubernetes: forced rollback)" in text or follow(c).state.phase == "complete"


@pytest.mark.cluster
def test_real_statefulset_partition_and_on_delete(real: tuple[Chat, KubeCluster, Any]) -> None:
    c, cluster, api = real
    ns = cluster.default_namespace
    apply_objects(
        api,
        [
            statefulset(ns, "part", 3, type="RollingUpdate", rollingUpdate={"partition": 2}),
            statefulset(ns, "manual", 1, type="OnDelete"),
        ],
    )
    _ready(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets/part", "readyReplicas", 3)
    _ready(api, f"/apis/apps/v1/namespaces/{ns}/statefulsets/manual", "readyReplicas", 1)
    c.say("deploy sts/part nginx:2")
    final = follow(c)
    assert final.state.phase == "complete" and final.state.target == 1  # only ordinal 2 is above the partition
    assert "1/1 updated (partition)" in render(final.reply)
    pods = {p.name: p.containers[0].image for p in cluster.list_pods(ns, "app=part")}
    assert pods == {"part-0": "nginx:1", "part-1": "nginx:1", "part-2": "nginx:2"}

    budgets = resources.require(cluster, resources.DISRUPTION_BUDGETS)  # policy/v1beta1 on 1.20, v1 on 1.21+
    assert budgets.group_version == "policy/v1beta1"
    pdb = {
        "apiVersion": budgets.group_version,
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "part", "namespace": ns},
        "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "part"}}},
    }
    apply_objects(api, [pdb])
    wait_for(lambda: "2 disruptions allowed" in c.say("describe sts/part") or "1 disruptions" in render(c.last), "pdb")
    assert "Disruption budget: part: minAvailable 2" in render(c.last)

    text = c.say("deploy sts/manual nginx:2")
    assert "uses the OnDelete strategy: pods change only when deleted" in text
    assert c.last.follow is None
    assert {p.containers[0].image for p in cluster.list_pods(ns, "app=manual")} == {"nginx:1"}


# --- DaemonSets ------------------------------------------------------------------------------------


@pytest.mark.cluster
def test_real_daemonset_rollout_failure_and_rollback(real: tuple[Chat, KubeCluster, Any]) -> None:
    c, cluster, api = real
    ns = cluster.default_namespace
    apply_objects(api, [daemonset(ns, "agent")])
    path = f"/apis/apps/v1/namespaces/{ns}/daemonsets/agent"
    wait_for(lambda: (s := request(api, "GET", path).get("status", {})).get("numberReady", 0) >= 1
             and s.get("numberReady") == s.get("desiredNumberScheduled"), "agent on its nodes")  # fmt: skip
    desired = request(api, "GET", path)["status"]["desiredNumberScheduled"]

    c.say("restart ds/agent")
    final = follow(c)
    assert final.state.phase == "complete", final.state
    assert (final.state.updated, final.state.available) == (desired, desired)

    c.say("deploy ds/agent busybox:broken")
    failed = follow(c)
    assert failed.state.phase == "failed", failed.state
    assert failed.state.failures[0].pod.startswith("agent-") and failed.state.failures[0].reason == "ImagePullBackOff"
    assert f"rollback ds/agent -n {ns} --cluster {cluster.name}" in buttons(failed)
    assert "Rolling back DaemonSet `agent`" in c.say(f"rollback ds/agent -n {ns} --cluster {cluster.name}")
    assert follow(c).state.phase == "complete"
    wait_for(lambda: _images(api, ns, "agent") == {("busybox:1", True)}, "agents back on busybox:1")


# --- CronJobs and Jobs -----------------------------------------------------------------------------


@pytest.mark.cluster
def test_real_cronjob_runs_to_completion_and_to_failure_and_suspends(real: tuple[Chat, KubeCluster, Any]) -> None:
    c, cluster, api = real
    ns = cluster.default_namespace
    served = resources.require(cluster, resources.CRONJOBS)  # batch/v1beta1 on 1.20, batch/v1 on 1.21+
    assert served.group_version == "batch/v1beta1"
    apply_objects(
        api,
        [
            cronjob(served.group_version, ns, "ok", "busybox:1"),
            cronjob(served.group_version, ns, "bad", "busybox:crash"),
        ],
    )
    text = c.say("run cronjob/ok")
    assert "Running CronJob `ok` now" in text
    done = follow(c)
    assert done.state.phase == "complete", done.state
    assert "completed in" in render(done.reply)

    c.say("run cronjob/bad")
    failed = follow(c)
    assert failed.state.phase == "failed", failed.state
    assert failed.state.reason == "BackoffLimitExceeded: Job has reached the specified backoff limit"
    assert failed.state.failures[0].pod.startswith("bad-manual-") and failed.state.failures[0].reason == "Error"
    assert any(b.startswith("logs bad-manual-") for b in buttons(failed))

    c.say("get jobs")
    table = {r[0].split("-manual-")[0]: r[1] for r in rows(c)}
    assert table == {"ok": "1/1", "bad": "0/1"}
    status = c.say(f"status -n {ns}")
    assert "job/bad-manual-" in status and "Failed: BackoffLimitExceeded" in status  # the failed Job, with its reason
    made = request(api, "GET", f"/apis/batch/v1/namespaces/{ns}/jobs")["items"]
    assert all(j["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual" for j in made)

    assert "Suspended CronJob `ok`" in c.say("suspend cronjob/ok --reason 'quiet week'")
    path = f"/apis/{served.group_version}/namespaces/{ns}/cronjobs/ok"
    stored = request(api, "GET", path)
    assert stored["spec"]["suspend"] is True
    assert stored["metadata"]["annotations"]["kubernetes.io/change-cause"].endswith(": quiet week")
    assert "already suspended" in c.say("suspend cronjob/ok")
    assert "Resumed CronJob `ok`" in c.say("resume cronjob/ok")
    assert request(api, "GET", path)["spec"]["suspend"] is False


# --- HPAs --------------------------------------------------------------------------------------------


@pytest.mark.cluster
def test_real_scale_under_an_hpa_warns_and_offers_its_limits(real: tuple[Chat, KubeCluster, Any]) -> None:
    c, cluster, api = real
    ns = cluster.default_namespace
    served = resources.require(cluster, resources.AUTOSCALERS)
    assert served.group_version == "autoscaling/v2beta2"
    hpa = {
        "apiVersion": served.group_version,
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": ns},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 4,
            "metrics": [{"type": "Resource",
                         "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
        },
    }  # fmt: skip
    apply_objects(api, [deployment(ns, "web", 2), hpa])
    text = c.say("scale web 6")
    assert "is scaled by the HorizontalPodAutoscaler `web` (2 to 4 replicas" in text
    assert "it would override 6 replicas" in text
    assert f"scale web --min 6 --max 6 -n {ns}" in text
    assert request(api, "GET", f"/apis/apps/v1/namespaces/{ns}/deployments/web")["spec"]["replicas"] == 2

    text = c.say("scale web --min 3 --max 6")
    assert "2–4 → 3–6" in text
    stored = request(api, "GET", f"/apis/{served.group_version}/namespaces/{ns}/horizontalpodautoscalers/web")
    assert (stored["spec"]["minReplicas"], stored["spec"]["maxReplicas"]) == (3, 6)
    assert "pilothouse" in {m["manager"] for m in stored["metadata"]["managedFields"]}
    # The HPA controller itself brings the Deployment up to the new minimum.
    _ready(api, f"/apis/apps/v1/namespaces/{ns}/deployments/web", "replicas", 3)
    assert "cpu <unknown>/80%" in c.say("describe hpa web")


# --- any kind, CRDs installed now ----------------------------------------------------------------------


@pytest.mark.cluster
def test_real_a_crd_installed_now_is_found_and_printed_with_its_columns(real: tuple[Chat, KubeCluster, Any]) -> None:
    c, cluster, api = real
    ns = cluster.default_namespace
    group = f"t{uuid.uuid4().hex[:6]}.example.com"
    assert "Pods in namespace" in c.say("get pods")  # discovery read, before the CRD exists
    crd = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"backups.{group}"},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "backups", "singular": "backup", "kind": "Backup", "shortNames": ["bk"]},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                    "additionalPrinterColumns": [
                        {"name": "Phase", "type": "string", "jsonPath": ".spec.phase"},
                        {"name": "Size", "type": "integer", "jsonPath": ".spec.sizeGiB"},
                        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                    ],
                }
            ],
        },
    }
    try:
        apply_objects(api, [crd])
        wait_for(lambda: _served(api, f"/apis/{group}/v1"), "the CRD served")
        backup = {"apiVersion": f"{group}/v1", "kind": "Backup", "metadata": {"name": "nightly", "namespace": ns},
                  "spec": {"phase": "Done", "sizeGiB": 12}}  # fmt: skip
        apply_objects(api, [backup])
        time.sleep(discovery.MISS_REFRESH)  # a miss reads discovery again, at most this often
        text = c.say("get bk")  # a miss on the cached catalog reads discovery again
        assert text.splitlines()[0] == f"Backups in namespace `{ns}` on `{cluster.name}`"
        assert rows(c) == [("nightly", "Done", "12", rows(c)[0][3])]
        assert next(b for b in c.last.blocks if isinstance(b, Table)).columns == ("NAME", "PHASE", "SIZE", "AGE")
        assert "nightly" in c.say(f"get backups.{group} nightly")
        assert "sizeGiB: 12" in c.say("get backup nightly -o yaml")
        described = c.say("describe backup nightly")
        assert "Backup `nightly`" in described and "sizeGiB: 12" in described and "Controlled by: <none>" in described
        assert "Did you mean `backups`?" in c.say("get backupz")
    finally:
        request(api, "DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/backups.{group}")


def _served(api: Any, path: str) -> bool:
    try:
        return bool(request(api, "GET", path).get("resources"))
    except Exception:
        return False


@pytest.mark.cluster
def test_real_top_says_metrics_server_is_missing_and_events_come_from_events_k8s_io(
    real: tuple[Chat, KubeCluster, Any],
) -> None:
    c, cluster, _ = real
    text = c.say("top nodes")
    assert text.startswith(f"⚠ metrics-server is not installed on `{cluster.name}`")
    assert resources.served(cluster, resources.EVENTS) is not None  # so list_events reads events.k8s.io/v1
    c.say("get events -n default")
    assert c.last.ok


# --- the demo, as a new user tries it ---------------------------------------------------------------


def test_demo_statefulset_daemonset_cronjob_and_hpa() -> None:
    c = chat(SimulatedCluster.demo(), policy=WRITERS)
    c.say("deploy sts/db postgres:16.4 -n data")
    assert follow(c).state.phase == "complete"
    c.say("deploy sts/db postgres:broken -n data")
    failed = follow(c)
    assert failed.state.phase == "failed" and failed.state.failures[0].pod == "db-1"
    assert "rollback sts/db -n data --cluster demo" in buttons(failed)
    c.say("rollback sts/db -n data --cluster demo")
    assert follow(c).state.phase == "complete"
    c.say("restart ds/node-agent -n kube-system")
    assert follow(c).state.phase == "complete"
    text = c.say("scale api 8 -n payments")
    assert "HorizontalPodAutoscaler `api` (2 to 5 replicas" in text and "scale api --min 8 --max 8 -n payments" in text
    c.say("run cronjob/nightly-report -n payments")
    failed = follow(c)
    assert failed.state.phase == "failed" and "BackoffLimitExceeded" in (failed.state.reason or "")
    assert "Suspended CronJob `nightly-report`" in c.say("suspend cronjob/nightly-report -n payments")


def test_demo_status_and_digest_name_an_unavailable_statefulset() -> None:
    c = chat(SimulatedCluster.demo("demo"), policy=demo_admin("alice"))
    assert "statefulset" not in c.say("status -n data")  # healthy: nothing to say
    c.say("deploy sts/db postgres:broken -n data")
    follow(c)
    health = c.say("status -n data")
    assert "StatefulSets, DaemonSets: 0/1 fully available" in health
    assert "statefulset/db  1/2 available" in health
    digest = c.say("digest now -n data")
    assert "1 StatefulSet or DaemonSet below desired availability" in digest
