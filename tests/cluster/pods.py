"""Small helpers the real-cluster scenarios share: a KubeCluster from a kubeconfig, and running pods."""

from __future__ import annotations

from pathlib import Path

from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request
from tests.demo_seed import wait_for
from tests.manifests import deployment


def cluster_from(kubeconfig: Path | str, *, context: str | None = None, timeout: float = 10) -> KubeCluster:
    clusters, current = clusters_from_kubeconfig(str(kubeconfig), timeout=timeout)
    return next(c for c in clusters if c.name == (context or current))


def make_pods(control_plane: ControlPlane, namespace: str, count: int, app: str = "paged") -> None:
    api = control_plane.admin_api_client()
    apply_objects(api, [deployment(namespace, app, replicas=count)])

    def running() -> bool:
        pods = request(api, "GET", f"/api/v1/namespaces/{namespace}/pods", query={"labelSelector": f"app={app}"})[
            "items"
        ]
        return sum(1 for p in pods if p.get("status", {}).get("phase") == "Running") == count

    wait_for(running, f"{count} pods running")
