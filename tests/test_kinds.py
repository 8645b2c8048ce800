"""What a v1.20 server cannot show, from API objects written from the reference of newer
releases (tests/k8s_objects/), and the pure pieces of the generic paths: discovery names and
versions, the discovery cache, patch bodies applied as the API server applies them, printing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.handlers.tables import fit
from integrations.cluster import patches, printers, resources, served_1_20
from integrations.cluster.discovery import CachedCatalog, Catalog, from_aggregated
from integrations.cluster.model import pod_from
from integrations.cluster.simulated import SimulatedCluster
from integrations.cluster.tables import Column, Row, ServerTable
from tests.chat import chat

OBJECTS = Path(__file__).parent / "k8s_objects"


def load(name: str) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads((OBJECTS / name).read_text())
    assert obj.pop("_source")  # every object says where it was written from
    return obj


# --- sidecars and in-place resize (1.29+, 1.33+) ------------------------------------------------


def test_sidecars_count_in_ready_and_restarts_as_kubectl_does() -> None:
    pod = pod_from(load("pod_sidecar_1_33.json"))
    assert (pod.ready, pod.total, pod.restarts, pod.status) == (2, 2, 3, "Running")
    assert [(c.name, c.sidecar) for c in pod.containers] == [("log-shipper", True), ("nginx", False)]
    printed = printers.print_table("pods", [load("pod_sidecar_1_33.json")], datetime.now(UTC)).rows[0].cells
    assert printed[1:4] == ("2/2", "Running", 3)


def test_a_sidecar_not_started_is_not_ready() -> None:
    obj = load("pod_sidecar_1_33.json")
    obj["status"]["initContainerStatuses"][1]["started"] = False
    assert pod_from(obj).ready == 1


def test_an_init_container_still_running_shows_init_status() -> None:
    obj = load("pod_sidecar_1_33.json")
    obj["status"]["initContainerStatuses"][0]["state"] = {"running": {}}
    assert pod_from(obj).status == "Init:0/2"


def test_in_place_resize_pending_and_what_runs() -> None:
    pod = pod_from(load("pod_resize_pending_1_33.json"))
    assert pod.resize == "pending (Deferred: Node didn't have enough capacity: cpu, requested: 2000, capacity: 1500)"
    (api,) = pod.containers
    assert api.requested == "cpu 2, memory 1Gi, memory ≤1Gi"
    assert api.running == "cpu 500m, memory 1Gi, memory ≤1Gi"
    legacy = pod_from(load("pod_resize_legacy_1_30.json"))
    assert legacy.resize == "in progress" and legacy.containers[0].running == "cpu 250m"


def test_describe_pod_shows_the_resize() -> None:
    cluster = SimulatedCluster.demo()
    cluster.apply(load("pod_resize_pending_1_33.json"))
    text = chat(cluster).say("describe pod api-7f9c8d6b5-xk2lp -n payments")
    assert "In-place resize pending (Deferred: Node didn't have enough capacity" in text
    assert "api: runs with cpu 500m, memory 1Gi, memory ≤1Gi (spec: cpu 2, memory 1Gi, memory ≤1Gi)" in text


# --- API versions chosen by discovery -----------------------------------------------------------


class Catalogued:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.name = "modern"

    def discover(self, *, refresh: bool = False) -> Catalog:
        return self.catalog


MODERN = Catalog(from_aggregated([load("discovery_aggregated_1_35.json")]))
OLD = Catalog(served_1_20.built_in())


@pytest.mark.parametrize(
    ("kind", "modern", "old"),
    [
        (resources.CRONJOBS, "batch/v1", "batch/v1beta1"),
        (resources.AUTOSCALERS, "autoscaling/v2", "autoscaling/v2beta2"),
        (resources.DISRUPTION_BUDGETS, "policy/v1", "policy/v1beta1"),
        (resources.EVENTS, "events.k8s.io/v1", "events.k8s.io/v1"),
    ],
)
def test_versions_are_chosen_by_discovery(kind: resources.Kind, modern: str, old: str) -> None:
    for catalog, wanted in ((MODERN, modern), (OLD, old)):
        found = resources.served(Catalogued(catalog), kind)  # type: ignore[arg-type]
        assert found is not None and found.group_version == wanted


def test_aggregated_discovery_is_read_whole() -> None:
    sts = MODERN.resolve("sts")
    assert sts is not None and (sts.group, sts.version, sts.namespaced) == ("apps", "v1", True)
    assert MODERN.find("apps", "deployments", ("v1",)).subresources == ("scale",)  # type: ignore[union-attr]
    assert MODERN.resolve("hpa").version == "v2"  # type: ignore[union-attr]  # the server's first version


def test_names_resolve_as_kubectl_resolves_them() -> None:
    def gv(word: str) -> str | None:
        found = OLD.resolve(word)
        return f"{found.resource}.{found.group_version}" if found else None

    assert gv("po") == gv("pod") == gv("Pod") == gv("pods") == "pods.v1"
    assert gv("ev") == "events.v1"  # core first, as kubectl picks it
    assert gv("events.events.k8s.io") == "events.events.k8s.io/v1"
    assert gv("hpa.v2beta2.autoscaling") == "horizontalpodautoscalers.autoscaling/v2beta2"
    assert gv("hpa") == "horizontalpodautoscalers.autoscaling/v1"  # the group's preferred version
    assert gv("deployments.apps") == "deployments.apps/v1"
    assert gv("nothing") is None
    assert OLD.suggestions("statefulsetz") == ["statefulsets"]
    assert "events.events.k8s.io" in OLD.suggestions("eventz") or "events" in OLD.suggestions("eventz")


def test_the_catalog_is_kept_then_read_again_periodically_and_on_a_miss() -> None:
    now = [0.0]
    reads: list[int] = []

    def read() -> Catalog:
        reads.append(1)
        return OLD

    cache = CachedCatalog(read, ttl=300, miss_every=10, clock=lambda: now[0])
    cache.get()
    cache.get()
    assert len(reads) == 1
    now[0] = 5
    cache.get(refresh=True)  # a miss, but the catalog is 5 s old: not read again yet
    assert len(reads) == 1
    now[0] = 11
    cache.get(refresh=True)
    assert len(reads) == 2
    now[0] = 400
    cache.get()
    assert len(reads) == 3


def test_a_crd_is_found_after_a_miss_on_the_demo() -> None:
    cluster = SimulatedCluster.demo()
    c = chat(cluster)
    assert "has no resource type `widgets`" in c.say("get widgets")
    crd = json.loads(json.dumps(cluster.get_object(OLD.resolve("crd"), None, "certificates.cert-manager.io")))  # type: ignore[arg-type]
    crd["metadata"] = {"name": "widgets.example.com"}
    crd["spec"].update(group="example.com", names={"plural": "widgets", "singular": "widget", "kind": "Widget"})
    cluster.apply(crd)
    cluster.apply({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "shop"}})
    text = c.say("get widgets")
    assert "Widgets in namespace `shop`" in text and "w1" in text


# --- patch bodies, applied as the API server applies them ----------------------------------------


def test_strategic_image_patch_keeps_the_sidecar() -> None:
    containers = [{"name": "app", "image": "a:1"}, {"name": "envoy", "image": "e:1"}]
    deployment = {"spec": {"template": {"spec": {"containers": containers}}}}
    changed = patches.apply(deployment, patches.image("deployments", "app", "a:2"))
    assert changed["spec"]["template"]["spec"]["containers"] == [
        {"name": "app", "image": "a:2"},
        {"name": "envoy", "image": "e:1"},
    ]
    cronjob = {
        "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "r", "image": "r:1"}]}}}}}
    }
    changed = patches.apply(cronjob, patches.image("cronjobs", "r", "r:2"))
    assert changed["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"] == "r:2"


def test_a_revision_replaces_the_template_and_a_guard_is_not_applied() -> None:
    sts = {"metadata": {"name": "db"}, "spec": {"replicas": 2, "template": {"metadata": {"annotations": {"x": "1"}}}}}
    data = {"spec": {"template": {"$patch": "replace", "spec": {"containers": [{"name": "db", "image": "pg:15"}]}}}}
    changed = patches.apply(sts, patches.revision(data).guarded("42", "roll back"))
    assert changed["spec"] == {"replicas": 2, "template": {"spec": {"containers": [{"name": "db", "image": "pg:15"}]}}}
    assert changed["metadata"] == {"name": "db", "annotations": {"kubernetes.io/change-cause": "roll back"}}
    deployment = {"spec": {"template": {"a": 1, "b": 2}}}
    merged = patches.apply(deployment, patches.template({"a": 1, "b": 2}, {"a": 3}))
    assert merged == {"spec": {"template": {"a": 3}}}  # JSON merge patch: null removes `b`


# --- printing ---------------------------------------------------------------------------------------


def test_ages_are_printed_as_the_api_server_prints_them() -> None:
    cases = {30: "30s", 150: "2m30s", 600: "10m", 3 * 3600 + 60: "3h1m", 10 * 3600: "10h", 3 * 86400 + 3600: "3d1h"}
    assert {s: printers.human_duration(s) for s in cases} == cases
    assert printers.human_duration(40 * 86400) == "40d"


def test_crd_columns_follow_their_json_path() -> None:
    conditions = [{"type": "Issuing", "status": "False"}, {"type": "Ready", "status": "True"}]
    obj = {"metadata": {"name": "c"}, "status": {"conditions": conditions}}
    assert printers.jsonpath(obj, '.status.conditions[?(@.type=="Ready")].status') == ["True"]
    assert printers.jsonpath(obj, ".status.conditions[*].type") == ["Issuing", "Ready"]
    assert printers.jsonpath(obj, ".status.conditions[1].status") == ["True"]
    assert printers.jsonpath(obj, ".spec.nothing") == []


def test_a_wide_table_is_cut_to_the_chat_honestly() -> None:
    columns = tuple(Column(n, "string") for n in ("Name", "Ready", "Images", "Selector"))
    rows = [Row(("web", "3/3", "x" * 60, "app=" + "y" * 70), "shop", "web")]
    shown = fit(ServerTable(columns, tuple(rows)), rows, wide=False, namespaces=False, limit=50)
    assert shown.table.columns == ("NAME", "READY", "IMAGES")
    assert shown.table.rows[0][2].endswith("…") and len(shown.table.rows[0][2]) == 48
    note = shown.note()
    assert note is not None and "Left out to fit the chat: SELECTOR" in note.text


# --- policy names resources; long YAML goes into a file in Slack ---------------------------------


def test_the_policy_sees_the_resource_whatever_name_was_typed() -> None:
    from tests.policies import shaped

    no_secrets = shaped({"deny": [{"name": "no-secrets", "commands": ["get secrets"]}]})
    c = chat(SimulatedCluster.demo(), policy=no_secrets)
    assert "You may not run `get secrets`" in c.say("get secret")
    assert c.pipeline.audit.recent(1)[0].command == "get secrets"
    assert "Pods in namespace" in c.say("get po")
    no_certs = shaped({"deny": [{"name": "no-certs", "commands": ["get certificates"]}]})
    c = chat(SimulatedCluster.demo(), policy=no_certs)
    # `cert` is a CRD's short name: only discovery knows it means certificates, and the policy is asked again.
    assert "You may not run `get certificates`" in c.say("get cert")
    assert "You may not run `get certificates`" in c.say("get certificates.cert-manager.io")


def test_a_long_yaml_is_uploaded_as_a_file_in_slack() -> None:
    from integrations.render.blocks import render_message

    cluster = SimulatedCluster.demo()
    data = {f"key-{i:03d}": "value " * 20 for i in range(300)}
    cluster.apply(
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big", "namespace": "shop"}, "data": data}
    )
    c = chat(cluster)
    c.say("get cm big -o yaml")
    message = render_message(c.last, title="get cm big -o yaml")
    assert message.attachment is not None and "key-299:" in message.attachment.content
    assert "managedFields" not in message.attachment.content


def test_top_reads_metrics_server_where_it_is_served() -> None:
    metrics = json.loads((OBJECTS / "metrics_1_35.json").read_text())
    assert metrics.pop("_source")
    cluster = SimulatedCluster.demo()
    cluster.metrics_server = True
    for obj in (*metrics["pods"], *metrics["nodes"]):
        cluster.apply(obj)
    c = chat(cluster)
    text = c.say("top pods -n shop")
    assert "cart-jsbtj9bp57-mlx99  255m        160Mi" in text and "web-l277s86jlc-rbmd7   12m         24Mi" in text
    text = c.say("top nodes")
    assert "node-1  1000m       25%   4096Mi         25%" in text  # of 4 CPUs and 16Gi allocatable
