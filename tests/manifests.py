"""Small Kubernetes manifests the integration tests apply to the real control plane."""

from __future__ import annotations

from typing import Any


def deployment(namespace: str, name: str, replicas: int = 2, image: str = "nginx:1") -> dict[str, Any]:
    """A Deployment of one container `c`, its pods labelled app=NAME."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "c", "image": image}]},
            },
        },
    }


def view_binding(namespace: str, user: str) -> dict[str, Any]:
    """A RoleBinding that lets `user` read (ClusterRole `view`) in one namespace."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "bot-view", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
        "subjects": [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}],
    }
