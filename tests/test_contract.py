"""Contract tests: the same read scenarios against the simulated demo and a real control plane
seeded with the same objects (tests/demo_seed.py). The demo may not drift from reality.

Pod and ReplicaSet names carry random hashes on the real cluster, ages and restart counts
differ; everything else must match.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from commands.replies import Fields, Preformatted, Reply, Table
from integrations.cluster.kube import clusters_from_kubeconfig
from integrations.cluster.simulated import SimulatedCluster
from integrations.render.text import render
from tests.chat import Chat, chat
from tests.cluster.controlplane import ControlPlane

HASHES = re.compile(r"-[a-z0-9]{8,10}(-[a-z0-9]{5})?\b|-[a-z0-9]{5}\b(?=$|,| )|\b10\.\d+\.\d+\.\d+\b")
# Columns that differ by nature between the two: times, and the addresses a cluster hands out.
VARYING = {"AGE", "LAST SEEN", "FIRST SEEN", "DURATION", "CREATED AT", "CLUSTER-IP", "IP", "LAST SCHEDULE"}


@pytest.fixture(scope="module")
def both(demo_control_plane: ControlPlane) -> Iterator[tuple[Chat, Chat]]:
    real, _ = clusters_from_kubeconfig(str(demo_control_plane.admin_kubeconfig), timeout=10)
    admin = next(c for c in real if c.name == "test-admin")
    admin.name, admin.default_namespace = "demo", "shop"  # as the simulated demo is configured
    yield chat(SimulatedCluster.demo("demo")), chat(admin)


def say(both: tuple[Chat, Chat], text: str) -> tuple[Reply, Reply]:
    simulated, real = both
    simulated.say(text)
    real.say(text)
    return simulated.last, real.last


def unhash(text: str) -> str:
    return HASHES.sub("-*", text)


def rows(reply: Reply, *columns: int) -> list[tuple[str, ...]]:
    """Rows of the reply's tables, only the given columns, hashes masked, sorted."""
    found = [tuple(unhash(row[i]) for i in columns) for b in reply.blocks if isinstance(b, Table) for row in b.rows]
    return sorted(found)


def whole_table(reply: Reply) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The reply's first table: its columns and rows, hashes masked, varying columns left out."""
    found = next(b for b in reply.blocks if isinstance(b, Table))
    keep = [i for i, c in enumerate(found.columns) if c not in VARYING]
    return tuple(found.columns[i] for i in keep), sorted(tuple(unhash(r[i]) for i in keep) for r in found.rows)


def fields(reply: Reply) -> dict[str, str]:
    return {k: unhash(v) for b in reply.blocks if isinstance(b, Fields) for k, v in b.pairs}


@pytest.mark.cluster
def test_get_pods(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "get pods -n shop -o wide")
    # NAME, READY, STATUS, NODE
    assert rows(simulated, 0, 1, 2, 6) == rows(real, 0, 1, 2, 6)
    assert ("checkout-*", "0/1", "CrashLoopBackOff", "node-1") in rows(real, 0, 1, 2, 6)
    assert ("search-*", "0/1", "Pending", "<none>") in rows(real, 0, 1, 2, 6)
    assert len(rows(real, 0)) == 7
    simulated, real = say(both, "get pods -n shop")
    assert whole_table(simulated)[0] == whole_table(real)[0] == ("NAME", "READY", "STATUS", "RESTARTS")


@pytest.mark.cluster
def test_get_pods_in_all_namespaces_with_a_selector(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "get pods -A -l app")
    assert rows(simulated, 0, 1, 2, 3) == rows(real, 0, 1, 2, 3)
    assert {r[0] for r in rows(real, 0)} == {"shop", "payments", "data", "kube-system"}


@pytest.mark.cluster
def test_get_deployments(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "get deploy -A -o wide")
    assert whole_table(simulated) == whole_table(real)
    # NAMESPACE, NAME, READY, UP-TO-DATE, AVAILABLE, IMAGES
    assert ("payments", "api", "2/2", "2", "2", "ghcr.io/acme/payments-api:3.4.1,envoyproxy/envoy:v1.29.1") in rows(
        real, 0, 1, 2, 3, 4, 7
    )


@pytest.mark.cluster
@pytest.mark.parametrize(
    "text",
    [
        "get sts -A",
        "get ds -A -o wide",
        "get hpa -A",
        "get cronjobs -A",
        "get jobs -A",
        "get svc -A",
        "get ing -A",
        "get crd",
        "get cert -A",
        "get certificates.cert-manager.io -n payments -o wide",
        "get controllerrevisions -n data",
        "get statefulset db -n data",
    ],
)
def test_every_kind_looks_the_same(both: tuple[Chat, Chat], text: str) -> None:
    """The demo's tables are the real server's table printing, column for column."""
    simulated, real = say(both, text)
    assert real.ok, real
    assert whole_table(simulated) == whole_table(real)
    assert whole_table(real)[1], "an empty table proves nothing"


@pytest.mark.cluster
def test_discovery_names_resolve_alike(both: tuple[Chat, Chat]) -> None:
    simulated, real = (c.pipeline.clusters.get(None) for c in both)
    words = ["po", "pods", "deploy", "sts", "statefulset", "ds", "cj", "cronjob", "jobs", "hpa", "svc", "ing", "cm",
             "pvc", "ev", "ns", "no", "crd", "cert", "certificates.cert-manager.io", "secrets", "rs", "pdb", "sa",
             "events.events.k8s.io", "deployments.v1.apps", "Deployment"]  # fmt: skip

    def resolved(cluster: object) -> list[tuple[str, str, str, bool] | None]:
        catalog = cluster.discover()  # type: ignore[attr-defined]
        found = [catalog.resolve(w) for w in words]
        return [(t.group, t.version, t.resource, t.namespaced) if t else None for t in found]

    assert resolved(simulated) == resolved(real)
    assert None not in resolved(real)


@pytest.mark.cluster
def test_unknown_kinds_get_did_you_mean(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "get statefulsetz")
    assert not real.ok and simulated.blocks == real.blocks
    assert "Did you mean `statefulsets`?" in render(real)


@pytest.mark.cluster
def test_yaml_drops_managed_fields_and_secrets_are_refused(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "get deploy web -o yaml")
    for reply in (simulated, real):
        text = render(reply)
        assert "kind: Deployment" in text and "name: web" in text and "managedFields" not in text
    simulated, real = say(both, "get secrets -n shop")
    assert real.ok
    for c in both:
        c.say("get secret anything -n shop -o yaml")
        assert "never shown as YAML" in render(c.last)


@pytest.mark.cluster
def test_describe_the_other_kinds(both: tuple[Chat, Chat]) -> None:
    for text, keys in (
        ("describe sts/db -n data", ("Replicas", "Images", "Strategy", "Selector")),
        ("describe ds node-agent -n kube-system", ("Pods", "Images", "Strategy")),
        ("describe hpa api -n payments", ("Scales", "Autoscaler", "Targets")),
        ("describe cronjob nightly-report -n payments", ("Schedule", "Active", "Images")),
        ("describe cert web-tls", ("Kind", "Labels", "Controlled by")),
    ):
        simulated, real = say(both, text)
        assert real.ok, render(real)
        assert {k: fields(simulated)[k] for k in keys} == {k: fields(real)[k] for k in keys}, text
    simulated, real = say(both, "describe cronjob nightly-report -n payments")
    assert "The last Job, `nightly-report-29401020`, failed: BackoffLimitExceeded" in render(real)
    assert "BackoffLimitExceeded" in render(simulated)


@pytest.mark.cluster
def test_status_names_the_failed_job_and_the_autoscaler(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "status -n payments")
    assert [r for r in rows(simulated, 0, 1) if r[0].startswith("job/")] == [
        r for r in rows(real, 0, 1) if r[0].startswith("job/")
    ]
    assert (
        "job/nightly-report-*",
        "Failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
    ) in rows(real, 0, 1)
    assert "api → deployment/api" in render(real) and "cpu <unknown>/70%" in render(real)


@pytest.mark.cluster
def test_get_nodes_and_namespaces(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "get nodes")
    assert rows(simulated, 0, 1, 4) == [("node-1", "Ready", "v1.20.2"), ("node-2", "NotReady", "v1.20.2")]
    assert set(rows(simulated, 0, 1, 4)) <= set(rows(real, 0, 1, 4))  # other tests add nodes of their own
    simulated, real = say(both, "get ns")
    assert rows(simulated, 0, 1) == rows(real, 0, 1)


@pytest.mark.cluster
def test_warning_events(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "get events -n shop")

    def warnings(reply: Reply) -> list[tuple[str, ...]]:
        table = next(b for b in reply.blocks if isinstance(b, Table))
        return sorted(tuple(unhash(c) for c in r[1:5]) for r in table.rows if r[1] == "Warning")

    assert warnings(simulated) == warnings(real)
    assert {r[1] for r in warnings(real)} == {"BackOff", "FailedScheduling"}


@pytest.mark.cluster
def test_status_of_a_namespace(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "status -n shop")
    assert fields(simulated) == fields(real)
    assert fields(real)["Pods"] == "5 running, 1 pending, 1 failing"

    def problems(reply: Reply) -> list[tuple[str, str]]:
        # The object, and the problem without figures that change with time.
        return [(obj, re.sub(r"\d+ restarts|for \d+\w", "#", problem)) for obj, problem in rows(reply, 0, 1)]

    assert problems(simulated) == problems(real)
    assert ("pod/checkout-*", "CrashLoopBackOff (#, last exit Error (exit 1))") in problems(real)


@pytest.mark.cluster
def test_logs_of_a_deployment(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "logs deploy/web --tail 5")

    def lines(reply: Reply) -> tuple[str, ...]:
        return next(b.lines for b in reply.blocks if isinstance(b, Preformatted))

    assert lines(simulated) == lines(real)
    assert len(lines(real)) == 5


@pytest.mark.cluster
def test_logs_errors(both: tuple[Chat, Chat]) -> None:
    for text in ("logs deploy/api -n payments -c nginx", "logs deploy/search", "logs deploy/nothing"):
        simulated, real = say(both, text)
        assert not real.ok
        assert unhash(str(simulated.blocks)) == unhash(str(real.blocks))


@pytest.mark.cluster
def test_describe_deployment(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "describe deployment checkout")
    same = ("Replicas", "Images", "Revision", "Strategy", "Selector", "Namespace", "Cluster")
    assert {k: fields(simulated)[k] for k in same} == {k: fields(real)[k] for k in same}
    assert fields(real)["Replicas"] == "1 desired | 1 updated | 0 ready | 0 available"


@pytest.mark.cluster
def test_describe_pod(both: tuple[Chat, Chat]) -> None:
    simulated_chat, real_chat = both
    for c in both:
        c.say("get pods -l app=checkout")
    names = [rows(c.last, 0) for c in both]
    assert names[0] == names[1] == [("checkout-*",)]
    pods = [next(b.rows[0][0] for b in c.last.blocks if isinstance(b, Table)) for c in both]
    simulated_chat.say(f"describe pod {pods[0]}")
    real_chat.say(f"describe pod {pods[1]}")

    def containers(reply: Reply) -> list[tuple[str, ...]]:
        table = next(b for b in reply.blocks if isinstance(b, Table) and "STATE" in b.columns)
        return [(r[0], r[1], r[2], r[3], r[5]) for r in table.rows]  # all but RESTARTS

    assert containers(simulated_chat.last) == containers(real_chat.last)
    assert containers(real_chat.last) == [
        ("checkout", "ghcr.io/acme/checkout:2.7.1", "waiting: CrashLoopBackOff", "no", "Error (exit 1)")
    ]


@pytest.mark.cluster
def test_history(both: tuple[Chat, Chat]) -> None:
    simulated, real = say(both, "history web")
    assert rows(simulated, 0, 1, 3) == rows(real, 0, 1, 3)
    assert [r[0] for r in rows(real, 0)] == ["1", "2 (current)"]


@pytest.mark.cluster
@pytest.mark.parametrize(
    "text", ["describe deployment chekout", "get pods -n shoop", "describe pod nope -n payments", "history nope"]
)
def test_not_found_answers(both: tuple[Chat, Chat], text: str) -> None:
    simulated, real = say(both, text)
    assert not simulated.ok and not real.ok
    assert simulated.blocks == real.blocks
