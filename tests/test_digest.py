"""Digests of the simulated demo: exactly the seeded problems, changes since the last digest,
changes made through Pilothouse, the one-line healthy form, and `pilothouse digest --print`."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import cli
from bot.digest import render
from bot.digest.service import DigestMaker
from commands.replies import Notice, Table
from integrations.cluster import demo as seed
from integrations.cluster import resources
from integrations.cluster.clusters import Clusters
from integrations.cluster.simulated import SimulatedCluster
from integrations.cluster.workload_model import job_from
from integrations.render.text import render as text
from integrations.store.memory import MemoryStore
from tests.chat import chat
from tests.policies import demo_admin

NOW = datetime.now(UTC)


@pytest.fixture
def cluster() -> SimulatedCluster:
    return SimulatedCluster.demo()


def problems_by_object(cluster: SimulatedCluster, namespace: str | None) -> dict[str, str]:
    """What the seed makes fail, found from the cluster's own objects (not from the digest)."""
    wide = namespace is None
    pods = cluster.list_pods(namespace)
    crashing = [p for p in pods if p.status == "CrashLoopBackOff"]
    pending = [p for p in pods if p.unschedulable]
    short = [d for d in cluster.list_deployments(namespace) if d.available < d.desired]
    down = [n for n in cluster.list_nodes() if n.ready != "True"]

    def obj(kind: str, ns: str, name: str) -> str:
        return f"{kind}/{ns}/{name}" if wide else f"{kind}/{name}"

    found = {f"node/{n.name}": "node-not-ready" for n in down}
    found |= {obj("deployment", d.namespace, d.name): "unavailable" for d in short}
    found |= {obj("pod", p.namespace, p.name): "crash-loop" for p in crashing}
    found |= {obj("pod", p.namespace, p.name): "pending" for p in pending}
    jobs = cluster.list_objects(resources.require(cluster, resources.JOBS), namespace, job_from)
    found |= {obj("job", j.namespace, j.name): "failed-job" for j in jobs if j.failure}
    return found


@pytest.mark.parametrize("namespace", [None, "shop", "payments"])
def test_the_digest_names_exactly_the_seeded_problems(cluster: SimulatedCluster, namespace: str | None) -> None:
    maker = DigestMaker(Clusters([cluster], "demo"), MemoryStore())
    digest = maker.make("C1", None, namespace, now=NOW)
    named = {p.object(cluster_wide=namespace is None): p.category for p in digest.problems}
    assert named == problems_by_object(cluster, namespace)
    if namespace != "payments":
        assert len(named) == 5 + (namespace is None)  # node-2; checkout, search: Deployments, pods; the Job
    crashing = {pod.split("/")[-1].rsplit("-", 2)[0]: (restarts, last) for pod, restarts, last in digest.crashing}
    assert crashing == ({"checkout": (14, "Error (exit 1)")} if namespace != "payments" else {})


def test_summary_and_details_of_the_demo(cluster: SimulatedCluster) -> None:
    maker = DigestMaker(Clusters([cluster], "demo"), MemoryStore())
    digest = maker.make("C1", None, None, now=NOW)
    summary = text(render.summary(digest))
    assert summary.startswith("Digest of all namespaces on `demo`")
    assert "Nodes:       1/2 ready (node-2 not ready)" in summary
    assert "Pods:        11 running, 1 pending, 1 failing, 1 failed" in summary  # the failed Job's pod
    assert "Deployments: 4/6 fully available" in summary
    assert (
        "6 problems: 1 node not ready, 2 Deployments below desired availability, 1 crash-looping pod, 1 pending pod, "
        "1 failed Job." in summary
    )
    details = render.details(digest)
    tables = {b.columns: b.rows for b in details.blocks if isinstance(b, Table)}
    assert tables[("REASON", "KIND", "COUNT")] == (
        ("BackOff", "Pod", "41"),
        ("FailedScheduling", "Pod", "12"),
        ("FailedGetResourceMetric", "HorizontalPodAutoscaler", "8"),
        ("FailedComputeMetricsReplicas", "HorizontalPodAutoscaler", "8"),
        ("NodeNotReady", "Node", "1"),
        ("BackoffLimitExceeded", "Job", "1"),
    )
    pending = tables[("POD", "WHY")]
    assert len(pending) == 1 and "didn't match node selector" in pending[0][1]
    body = text(details)
    assert "Pending approvals: none waiting" in body
    assert "First digest here" in body


def test_fixing_a_problem_shows_it_resolved_and_the_change_made(cluster: SimulatedCluster) -> None:
    c = chat(cluster, policy=demo_admin("alice"))
    first = c.say("digest now -n shop")
    assert "First digest here" in first
    c.say("scale checkout 0 --reason 'stop the crash loop'")  # asks first: not a change yet
    c.say("yes")
    c.say("scale web 3")  # already 3: nothing was changed
    c.say("deploy api nginx:2 -n payments")  # two containers: asks which, changes nothing
    assert [r.outcome for r in c.pipeline.audit.recent(2)] == ["asked", "unchanged"]
    after = c.say("digest now -n shop")
    assert "Since the last digest: 0 new, 2 resolved." in after
    since = next(
        b for b in (*c.last.blocks, *c.last.details) if isinstance(b, Table) and b.columns == ("", "OBJECT", "PROBLEM")
    )
    assert {(r[0], r[1].rsplit("-", 2)[0] if r[1].startswith("pod/") else r[1]) for r in since.rows} == {
        ("resolved", "deployment/checkout"),
        ("resolved", "pod/checkout"),
    }
    made = next(b for b in (*c.last.blocks, *c.last.details) if isinstance(b, Table) and b.columns[0] == "WHEN")
    assert [(r[1], r[2], r[3]) for r in made.rows] == [("alice", "scale checkout 0", "shop")]
    assert "No change since the last digest" in c.say("digest now -n shop")


def test_a_healthy_cluster_is_one_line() -> None:
    calm = SimulatedCluster("calm")
    calm.add_node(seed.nodes()[0])
    calm.add_namespace("shop")
    calm.apply_deployment(seed.deployment("shop", "web", 2, [{"name": "web", "image": "nginx:1"}], change_cause="x"))
    summary = render.summary(DigestMaker(Clusters([calm], "calm"), MemoryStore()).make("C", None, None, now=NOW))
    assert len(summary.blocks) == 1 and isinstance(summary.blocks[0], Notice)
    assert text(summary) == (
        "✔ Digest of all namespaces on `calm`: healthy. 1/1 nodes ready, 2 running pods, 1/1 Deployments available."
    )


def test_a_late_digest_says_so(cluster: SimulatedCluster) -> None:
    maker = DigestMaker(Clusters([cluster], "demo"), MemoryStore())
    digest = maker.make("C1", None, "payments", now=NOW, late="09:00 Europe/Berlin")
    assert text(render.summary(digest)).splitlines()[-1] == "· Posted late (scheduled 09:00 Europe/Berlin)."


def test_bad_digest_requests_get_precise_errors(cluster: SimulatedCluster) -> None:
    c = chat(cluster)
    assert "namespace `shopp` not found on cluster `demo`.\nSimilar names: `shop`." in c.say("digest now -n shopp")
    assert "No cluster named `prod` is configured." in c.say("digest now --cluster prod")
    assert "Known clusters: `demo`." in c.say("digest now --cluster prod")


def test_print_from_the_command_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PILOTHOUSE_KUBECONFIG", "KUBECONFIG", "PILOTHOUSE_REDIS_URL", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["digest", "--print", "-n", "shop"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Digest of namespace `shop` on `demo`")
    assert "checkout-" in out and "CrashLoopBackOff" in out
    assert cli.main(["digest", "--print", "--cluster", "prod"]) == 2
    assert "No cluster named `prod` is configured." in capsys.readouterr().err
    assert cli.main(["digest", "--print", "-n", "Shop!"]) == 2
    assert "`Shop!` is not a valid name" in capsys.readouterr().err
