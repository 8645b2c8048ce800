"""Leader election with a Kubernetes Lease on the real control plane: one leader at a time, and
a stopped leader's lease taken over by the other candidate within the lease time."""

from __future__ import annotations

import threading
import time

import pytest

from bot import wiring
from bot.digest.wiring import leadership
from bot.settings import Settings
from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig
from integrations.scheduler.kubernetes_lease import LeaseLeader
from tests.cluster.controlplane import ControlPlane
from tests.cluster.rest import request

pytestmark = pytest.mark.cluster


class Calls:
    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()


def candidate(cluster: KubeCluster, namespace: str, calls: Calls) -> LeaseLeader:
    leader = LeaseLeader(cluster.api_client(), name="digests", namespace=namespace, ttl=3)
    leader.start(calls.started.set, calls.stopped.set)
    return leader


def test_a_lease_hands_over_when_its_leader_stops(control_plane: ControlPlane, namespace: str) -> None:
    clusters, current = clusters_from_kubeconfig(str(control_plane.admin_kubeconfig), timeout=10)
    cluster = next(c for c in clusters if c.name == current)
    one_calls, two_calls = Calls(), Calls()
    one = candidate(cluster, namespace, one_calls)
    assert one_calls.started.wait(10)
    two = candidate(cluster, namespace, two_calls)
    try:
        time.sleep(2)
        assert one.leading and not two.leading and not two_calls.started.is_set()
        lease = request(
            cluster.api_client(), "GET", f"/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases/digests"
        )
        assert lease["spec"]["holderIdentity"] == one.identity
        stopped = time.monotonic()
        one.stop()
        assert one_calls.stopped.is_set() and not one.leading  # at once, not after the lease runs out
        assert two_calls.started.wait(10)
        assert time.monotonic() - stopped < 3 + 2  # the lease time, and a retry
        assert two.leading
    finally:
        one.stop()
        two.stop()


def test_lease_election_is_chosen_when_configured(control_plane: ControlPlane) -> None:
    settings = Settings(kubeconfig=str(control_plane.admin_kubeconfig), leader_election="lease")
    chosen = leadership(wiring.build(settings, user="nobody"))
    assert isinstance(chosen, LeaseLeader)
