"""Contract: the simulated demo and a real control plane seeded with the same objects give the
same digest (pod and ReplicaSet hashes masked; restart counts and ages differ by nature)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.digest.model import Digest
from bot.digest.service import DigestMaker
from integrations.cluster.clusters import Clusters
from integrations.cluster.kube import clusters_from_kubeconfig
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from tests.cluster.controlplane import ControlPlane
from tests.test_contract import unhash

pytestmark = pytest.mark.cluster


def digest_of(clusters: Clusters, namespace: str) -> Digest:
    return DigestMaker(clusters, MemoryStore()).make("C", None, namespace, now=datetime.now(UTC))


def namespaced(digest: Digest) -> set[tuple[str, str, str]]:
    """Problems in the namespace: category, object and the kind of trouble (its details, such as
    "0/3 nodes are available", depend on nodes other tests add to the shared control plane)."""
    return {
        (p.category, unhash(p.object(cluster_wide=False)), p.text.split(" (")[0].split(":")[0])
        for p in digest.problems
        if p.kind != "node"
    }


@pytest.mark.parametrize("namespace", ["shop", "payments"])
def test_the_demo_digest_matches_the_real_cluster(demo_control_plane: ControlPlane, namespace: str) -> None:
    real, _ = clusters_from_kubeconfig(str(demo_control_plane.admin_kubeconfig), timeout=10)
    admin = next(c for c in real if c.name == "test-admin")
    simulated = digest_of(Clusters([SimulatedCluster.demo("demo")], "demo"), namespace)
    actual = digest_of(Clusters([admin], admin.name), namespace)
    assert namespaced(simulated) == namespaced(actual)
    assert simulated.pods == actual.pods
    assert (simulated.deployments_available, simulated.deployments_total) == (
        actual.deployments_available,
        actual.deployments_total,
    )
    assert [(unhash(pod), last) for pod, _, last in simulated.crashing] == [
        (unhash(pod), last) for pod, _, last in actual.crashing
    ]
    assert {w[:2] for w in simulated.warnings} == {w[:2] for w in actual.warnings}
    assert "node/node-2" in {p.object(cluster_wide=False) for p in actual.problems}
    pending = [p.text for d in (simulated, actual) for p in d.problems if p.category == "pending"]
    assert all("didn't match node selector" in text for text in pending)
