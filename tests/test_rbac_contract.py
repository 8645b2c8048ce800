"""Contract: the simulated demo cluster answers RBAC as the real control plane does, for the
demo's identities. The real one is seeded with the same Roles and bindings (tests/demo_seed.py
applies integrations/cluster/demo.rbac()), then asked with SubjectAccessReview; the simulated
one answers from its single choke point. Then the same commands, as the same people, both ways."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from kubernetes.client import ApiClient

from bot.access import Access, Impersonation
from bot.pipeline import Pipeline
from bot.policy.reload import PolicyHolder
from commands.replies import Reply
from integrations.cluster.clusters import Clusters
from integrations.cluster.kube import clusters_from_kubeconfig
from integrations.cluster.port import Cluster
from integrations.cluster.rbac import Attributes
from integrations.cluster.simulated import SimulatedCluster
from integrations.store.memory import MemoryStore
from tests.chat import Chat
from tests.cluster.controlplane import ControlPlane
from tests.cluster.rest import request
from tests.policies import REGISTRY, shaped

pytestmark = pytest.mark.cluster

IDENTITIES = {
    "admin": ("slack:U0ADMIN01", ("pilothouse:admins",)),
    "developer": ("slack:U0DEV0001", ("pilothouse:developers",)),
    "deployer": ("slack:U0DEPLOY1", ("pilothouse:deployers",)),
    "approver": ("slack:U0APPROVE", ("pilothouse:approvers",)),
    "both": ("slack:U0BOTH001", ("pilothouse:developers", "pilothouse:deployers")),
    "nobody": ("slack:U0NOBODY1", ()),
}
ASKED = [
    Attributes(verb, resource, namespace, group)
    for (verb, resource, group), namespace in itertools.product(
        [
            ("list", "pods", ""),
            ("get", "pods/log", ""),
            ("watch", "pods", ""),
            ("delete", "pods", ""),
            ("list", "events", ""),
            ("list", "secrets", ""),
            ("get", "deployments", "apps"),
            ("patch", "deployments", "apps"),
            ("list", "replicasets", "apps"),
            ("create", "selfsubjectrulesreviews", "authorization.k8s.io"),
        ],
        ["shop", "payments", None],
    )
] + [Attributes("list", "nodes", None), Attributes("patch", "nodes", None), Attributes("list", "namespaces", None)]


def real_answer(api: ApiClient, user: str, groups: tuple[str, ...], a: Attributes) -> bool:
    resource, _, sub = a.resource.partition("/")
    attributes = {"verb": a.verb, "group": a.group, "resource": resource}
    if sub:
        attributes["subresource"] = sub
    if a.namespace:
        attributes["namespace"] = a.namespace
    review = {
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SubjectAccessReview",
        "spec": {"user": user, "groups": [*groups, "system:authenticated"], "resourceAttributes": attributes},
    }
    answer = request(api, "POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews", review)
    return bool(answer["status"].get("allowed"))


def test_the_simulated_rbac_answers_as_the_real_one(demo_control_plane: ControlPlane, admin_api: ApiClient) -> None:
    simulated = SimulatedCluster.demo()
    differences = []
    for name, (user, groups) in IDENTITIES.items():
        for asked in ASKED:
            real = real_answer(admin_api, user, groups, asked)
            if simulated.rbac.allows(user, groups, asked) != real:
                differences.append((name, asked, real))
    assert differences == []
    # And it is not all yes or all no: the matrix has both answers for most identities.
    assert simulated.rbac.allows(*IDENTITIES["deployer"], Attributes("patch", "deployments", "shop", "apps"))
    assert not simulated.rbac.allows(*IDENTITIES["deployer"], Attributes("patch", "deployments", "payments", "apps"))


EVERYONE = shaped(
    {
        "groups": {"admins": ["U0ADMIN01"], "developers": ["U0DEV0001"], "deployers": ["U0DEPLOY1"]},
        "roles": {"all": {"commands": ["*"], "cluster_wide": True}},
        "bindings": [{"name": "all", "subjects": ["everyone"], "roles": ["all"], "direct_messages": "all"}],
    }
)


def as_person(cluster: Cluster, user: str) -> Chat:
    """The policy lets everyone do everything: only Kubernetes RBAC says no."""
    clusters = Clusters([cluster], cluster.name)
    access = Access(PolicyHolder(lambda: EVERYONE), clusters, impersonation=Impersonation({cluster.name: True}))
    return Chat(Pipeline(registry=REGISTRY, clusters=clusters, store=MemoryStore(), access=access), user, "C0CONTRACT")


@pytest.fixture(scope="module")
def pairs(demo_control_plane: ControlPlane) -> Iterator[dict[str, tuple[Chat, Chat]]]:
    real = {c.name: c for c in clusters_from_kubeconfig(str(demo_control_plane.admin_kubeconfig), timeout=10)[0]}
    admin = real["test-admin"]  # system:masters may impersonate anyone
    admin.name, admin.default_namespace = "demo", "shop"
    simulated = SimulatedCluster.demo("demo")
    yield {user: (as_person(simulated, user), as_person(admin, user)) for user in ("U0DEV0001", "U0DEPLOY1")}


def outcome(reply: Reply) -> str:
    """ok, or the refusal's first line (identical on both sides, cluster names aside)."""
    return "ok" if reply.ok else str(reply.blocks[0]).split("text='", 1)[1].split("'", 1)[0]


@pytest.mark.parametrize(
    ("user", "text"),
    [
        ("U0DEV0001", "get pods -n payments"),
        ("U0DEV0001", "get secrets -n shop"),
        ("U0DEV0001", "scale web 2 -n shop"),
        ("U0DEV0001", "whoami"),
        ("U0DEPLOY1", "get secrets -n shop"),
        ("U0DEPLOY1", "get secrets -n payments"),
        ("U0DEPLOY1", "scale web 3 -n payments"),
        ("U0DEPLOY1", "get nodes"),
        ("U0DEPLOY1", "cordon node-2"),
    ],
)
def test_the_same_person_gets_the_same_answer_on_both(
    pairs: dict[str, tuple[Chat, Chat]], user: str, text: str
) -> None:
    simulated, real = pairs[user]
    simulated.say(text)
    real.say(text)
    assert outcome(simulated.last) == outcome(real.last)


def test_rules_reviews_agree(pairs: dict[str, tuple[Chat, Chat]]) -> None:
    simulated, real = (c.pipeline.clusters.get("demo") for c in pairs["U0DEPLOY1"])
    deployer = Impersonation({"demo": True}).identity
    from bot.policy.subject import Subject

    identity = deployer(Subject("U0DEPLOY1", groups=frozenset({"deployers"})))

    def rules(cluster: Cluster) -> set[tuple[tuple[str, ...], ...]]:
        found = cluster.view(identity).access_rules("shop").rules
        return {(tuple(sorted(r.resources)), tuple(sorted(r.verbs)), tuple(sorted(r.api_groups))) for r in found}

    assert rules(simulated) == rules(real)
    assert any("deployments" in resources and verbs == ("patch",) for resources, verbs, _ in rules(real))
