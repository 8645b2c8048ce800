"""Kubernetes impersonation on the real control plane with RBAC on: every call made for a person
carries Impersonate-User / Impersonate-Group, so Kubernetes RBAC holds them to their own rights,
whatever the policy says. Pilothouse's own identity (`pilothouse-bot`) has no rights here but
`impersonate`: anything that works below worked as the person."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from kubernetes.client import ApiClient

from bot.access import Access, Impersonation
from bot.pipeline import Pipeline
from bot.policy.reload import PolicyHolder
from integrations.cluster.clusters import Clusters
from integrations.cluster.kube import KubeCluster, clusters_from_kubeconfig
from integrations.store.memory import MemoryStore
from tests.chat import Chat
from tests.cluster.controlplane import ControlPlane
from tests.cluster.objects import apply_objects
from tests.cluster.rest import request
from tests.manifests import deployment
from tests.policies import REGISTRY, from_yaml

pytestmark = pytest.mark.cluster

TESTER, OUTSIDER = "U0TESTER1", "U0OUTSIDE"
POLICY = from_yaml(
    f"""
    groups: {{testers: [{TESTER}], observers: [{TESTER}], outsiders: [{OUTSIDER}]}}
    roles: {{all: {{commands: ["*"], cluster_wide: true}}}}
    bindings: [{{name: everything, subjects: [testers, outsiders], roles: [all], direct_messages: all}}]
    """
)
RBAC = "rbac.authorization.k8s.io/v1"


def role(namespace: str, name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {"apiVersion": RBAC, "kind": "Role", "metadata": {"name": name, "namespace": namespace}, "rules": rules}


def grant(namespace: str, name: str, group: str) -> dict[str, Any]:
    """A RoleBinding of Role `name` to the Pilothouse group `group`, as a cluster admin writes it."""
    return {
        "apiVersion": RBAC,
        "kind": "RoleBinding",
        "metadata": {"name": f"{name}-{group}", "namespace": namespace},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"pilothouse:{group}"}],
    }


READ = [
    {
        "apiGroups": ["", "apps"],
        "resources": ["pods", "deployments", "replicasets", "events"],
        "verbs": ["get", "list"],
    },
    {
        "apiGroups": ["events.k8s.io", "autoscaling", "batch", "apps", "policy"],
        "resources": ["*"],
        "verbs": ["get", "list"],
    },
]
PATCH = [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["patch"]}]
WATCH = [{"apiGroups": ["", "apps"], "resources": ["pods", "deployments"], "verbs": ["watch"]}]


@pytest.fixture(scope="module")
def impersonator(control_plane: ControlPlane, admin_api: ApiClient) -> Iterator[None]:
    """What the README says Pilothouse's own identity needs: `impersonate` on users, and on the
    groups it may act as (by name: `pilothouse:outsiders` is deliberately not among them)."""
    rules = [
        {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]},
        {
            "apiGroups": [""],
            "resources": ["groups"],
            "verbs": ["impersonate"],
            "resourceNames": ["pilothouse:testers", "pilothouse:observers"],
        },
    ]
    name = "pilothouse-impersonator"
    apply_objects(
        admin_api,
        [
            {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": name}, "rules": rules},
            {
                "apiVersion": RBAC,
                "kind": "ClusterRoleBinding",
                "metadata": {"name": name},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
                "subjects": [{"kind": "User", "name": control_plane.bot_user, "apiGroup": "rbac.authorization.k8s.io"}],
            },
        ],
    )
    yield
    request(admin_api, "DELETE", f"/apis/{RBAC}/clusterrolebindings/{name}")
    request(admin_api, "DELETE", f"/apis/{RBAC}/clusterroles/{name}")


def bot_cluster(control_plane: ControlPlane, *, precheck: bool = False) -> KubeCluster:
    clusters, _ = clusters_from_kubeconfig(str(control_plane.bot_kubeconfig), timeout=10)
    cluster = next(c for c in clusters if c.name == "test-bot")
    cluster.precheck = precheck
    return cluster


def person(cluster: KubeCluster, user: str = TESTER, channel: str = "C0TESTS01") -> Chat:
    clusters = Clusters([cluster], cluster.name)
    access = Access(PolicyHolder(lambda: POLICY), clusters, impersonation=Impersonation({cluster.name: True}))
    return Chat(Pipeline(registry=REGISTRY, clusters=clusters, store=MemoryStore(), access=access), user, channel)


def test_a_person_without_a_rolebinding_is_told_what_is_missing_then_it_works(
    control_plane: ControlPlane, admin_api: ApiClient, namespace: str, impersonator: None
) -> None:
    apply_objects(admin_api, [deployment(namespace, "web", replicas=1)])
    tester = person(bot_cluster(control_plane))
    refused = tester.say(f"get pods -n {namespace}")
    assert refused.startswith(
        f"✖ Kubernetes refused to list pods in namespace `{namespace}` on cluster `test-bot` for `slack:{TESTER}` "
        "(groups `pilothouse:observers`, `pilothouse:testers`)."
    )
    assert "Pilothouse's policy allowed it; Kubernetes RBAC did not." in refused
    assert f"Missing: a RoleBinding that grants `list` on `pods` in namespace `{namespace}`" in refused
    record = tester.pipeline.audit.recent(1)[0]
    assert (record.k8s_status, record.k8s_identity) == (
        403,
        f"slack:{TESTER} (groups pilothouse:observers, pilothouse:testers)",
    )

    # The cluster admin adds the RoleBinding, to the second of the person's groups: every group
    # is sent (one Impersonate-Group header each), not just the first.
    apply_objects(admin_api, [role(namespace, "read", READ), grant(namespace, "read", "testers")])
    assert f"Deployments in namespace `{namespace}`" in tester.say(f"get deploy -n {namespace}")


def test_changes_the_rollout_follower_and_digests_run_as_the_person(
    control_plane: ControlPlane, admin_api: ApiClient, namespace: str, impersonator: None
) -> None:
    apply_objects(admin_api, [deployment(namespace, "web", replicas=1)])
    apply_objects(admin_api, [role(namespace, "read", READ + PATCH), grant(namespace, "read", "testers")])
    tester = person(bot_cluster(control_plane))
    assert "Scaled `web`" in tester.say(f"scale web 2 -n {namespace}")
    # The person may not watch: the follower, running as them, loses the rollout from sight.
    final = tester.follow()
    assert final is not None and final.state.phase == "lost", final.state
    assert "watch" in (final.state.reason or "")
    apply_objects(admin_api, [role(namespace, "watch", WATCH), grant(namespace, "watch", "testers")])
    assert "Scaled `web`" in tester.say(f"scale web 1 -n {namespace}")
    final = tester.follow()
    assert final is not None and final.state.phase == "complete", final.state

    refused = tester.say(f"digest now -n {namespace}")
    assert "Kubernetes refused to list namespaces cluster-wide" in refused and "ClusterRoleBinding" in refused
    nodes = f"nodes-{uuid.uuid4().hex[:6]}"
    cluster_wide = [{"apiGroups": [""], "resources": ["nodes", "namespaces"], "verbs": ["list"]}]
    apply_objects(
        admin_api,
        [
            {"apiVersion": RBAC, "kind": "ClusterRole", "metadata": {"name": nodes}, "rules": cluster_wide},
            {
                "apiVersion": RBAC,
                "kind": "ClusterRoleBinding",
                "metadata": {"name": nodes},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": nodes},
                "subjects": [{"kind": "Group", "name": "pilothouse:testers", "apiGroup": "rbac.authorization.k8s.io"}],
            },
        ],
    )
    try:
        assert f"namespace `{namespace}` on `test-bot`" in tester.say(f"digest now -n {namespace}")
    finally:
        request(admin_api, "DELETE", f"/apis/{RBAC}/clusterrolebindings/{nodes}")
        request(admin_api, "DELETE", f"/apis/{RBAC}/clusterroles/{nodes}")


def test_whoami_asks_kubernetes_what_the_impersonated_identity_may_do(
    control_plane: ControlPlane, admin_api: ApiClient, namespace: str, impersonator: None
) -> None:
    apply_objects(admin_api, [role(namespace, "read", READ), grant(namespace, "read", "testers")])
    text = person(bot_cluster(control_plane)).say(f"whoami --cluster test-bot -n {namespace}")
    assert f"test-bot (default)  slack:{TESTER} (groups pilothouse:observers, pilothouse:testers)  impersonated" in text
    assert (
        f"Kubernetes RBAC for `slack:{TESTER} (groups pilothouse:observers, pilothouse:testers)` in namespace" in text
    )
    assert re.search(r"pods, deployments, replicasets, events +get, list +core, apps", text)
    assert re.search(r"selfsubjectaccessreviews, selfsubjectrulesreviews +create", text)  # every identity's


def test_a_write_is_checked_with_an_access_review_before_the_dry_run(
    control_plane: ControlPlane,
    admin_api: ApiClient,
    namespace: str,
    impersonator: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    apply_objects(admin_api, [deployment(namespace, "web", replicas=1)])
    apply_objects(admin_api, [role(namespace, "read", READ), grant(namespace, "read", "testers")])
    cluster = bot_cluster(control_plane, precheck=True)
    ours = cluster.api_client()  # (the tests' node agent patches pod status meanwhile, on its own client)
    sent: list[tuple[str, str]] = []  # what Pilothouse sent on the wire
    original = ApiClient.call_api

    def recorded(self: ApiClient, method: str, url: str, *args: Any, **options: Any) -> Any:
        if self is ours:
            sent.append((method, url.split("?", 1)[0].removeprefix(str(self.configuration.host))))
        return original(self, method, url, *args, **options)

    monkeypatch.setattr(ApiClient, "call_api", recorded)
    text = person(cluster).say(f"scale web 3 -n {namespace}")
    assert f"Kubernetes refused to patch deployments in namespace `{namespace}`" in text
    assert ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") in sent
    assert not [s for s in sent if s[0] == "PATCH"]  # refused before any write, the dry run included


def test_pilothouse_may_impersonate_only_the_groups_it_was_granted(
    control_plane: ControlPlane, namespace: str, impersonator: None
) -> None:
    text = person(bot_cluster(control_plane), user=OUTSIDER).say(f"get pods -n {namespace}")
    assert f"Cluster `test-bot` does not let Pilothouse act as `slack:{OUTSIDER}`" in text
    assert "may not impersonate that user or its groups" in text and "`impersonate` verb" in text


def test_views_share_the_one_connection_pool(control_plane: ControlPlane) -> None:
    from integrations.cluster.port import Identity

    cluster = bot_cluster(control_plane)
    first, second = cluster.view(Identity("slack:U1", ("pilothouse:a",))), cluster.view(None)
    assert first.api_client() is second.api_client() is cluster.api_client()
    assert first.identity == "slack:U1 (groups pilothouse:a)" and second.identity == cluster.identity
    with pytest.raises(Exception, match="never impersonates `system:masters`"):
        Identity("slack:U1", ("system:masters",))
