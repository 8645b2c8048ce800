"""The policy decision, table by table: examples/policy.yaml as the team's file, one request per
row, the outcome and the rule that decided it. Pure: no chat, no cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import Decision, Request, Subject
from bot.policy.explain import refusal
from bot.policy.globs import BadGlob, Glob
from bot.policy.images import repository
from tests.policies import REGISTRY, from_yaml

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "policy.yaml"
POLICY = from_yaml(EXAMPLE.read_text())

ALICE, CAROL, ERIN, MALLORY = "U0ALICE01", "U0CAROL03", "U0ERIN005", "U0MALLORY"
DEPLOY_PROD, OPS, DM = "C0DEPLOYPROD", "C0OPS0001", "D0CAROLDM"


def who(user: str, *, usergroups: frozenset[str] = frozenset(), external: bool = False) -> Subject:
    return Subject(user, groups=POLICY.groups_of(user, lambda g: g in usergroups), external=external)


def ask(subject: Subject, command: str, channel: str, cluster: str | None, namespace: str | None, **more: object):
    found = REGISTRY.lookup(command.split())  # `get pods` is `get` with a kind, as the policy sees it
    assert found is not None, command
    spec = found[0]
    return POLICY.authorise(subject, Request(command, spec.access, channel, cluster, namespace, **more))  # type: ignore[arg-type]


CASES = [
    # who, command, channel, cluster, namespace, extra, outcome, rule
    (ALICE, "get pods", OPS, "prod-eu", "shop", {}, "allow", "team-reads"),
    (ALICE, "get pods", OPS, "prod-eu", None, {}, "allow", "team-reads"),  # -A: role is cluster-wide
    (ALICE, "get pods", OPS, "dev-1", "shop", {}, "deny", "default-deny"),  # no role covers dev-*
    (ALICE, "scale", OPS, "staging-eu", "shop", {"replicas": 2}, "deny", "default-deny"),
    (ALICE, "get pods", OPS, "prod-eu", "kube-system", {}, "deny", "no-kube-system"),
    (CAROL, "scale", OPS, "staging-eu", "shop", {"replicas": 5}, "allow", "deployers-staging"),
    (CAROL, "scale", OPS, "staging-eu", "shop", {"replicas": 50}, "deny", "deployers-staging"),  # over the limit
    (CAROL, "scale", OPS, "staging-eu", "search", {"replicas": 5}, "deny", "default-deny"),  # not her namespace
    (CAROL, "deploy", OPS, "staging-eu", "shop", {"image": "ghcr.io/acme/web:2"}, "allow", "deployers-staging"),
    (CAROL, "deploy", OPS, "staging-eu", "shop", {"image": "docker.io/evil/x:1"}, "deny", "deployers-staging"),
    (CAROL, "deploy", OPS, "staging-eu", "shop", {"image": "nginx:1.26"}, "deny", "deployers-staging"),
    (CAROL, "deploy", OPS, "staging-eu", "shop", {"image": "ghcr.io/acme-evil/x:1"}, "deny", "deployers-staging"),
    (
        CAROL,
        "deploy",
        OPS,
        "prod-eu",
        "shop",
        {"image": "ghcr.io/acme/web:2"},
        "deny",
        "default-deny",
    ),  # not #deploy-prod
    (CAROL, "deploy", DEPLOY_PROD, "prod-eu", "shop", {"image": "ghcr.io/acme/web:2"}, "allow", "deployers-prod"),
    (
        CAROL,
        "deploy",
        DM,
        "prod-eu",
        "shop",
        {"image": "ghcr.io/acme/web:2"},
        "deny",
        "default-deny",
    ),  # no writes by DM
    (CAROL, "scale", DM, "staging-eu", "shop", {"replicas": 1}, "allow", "deployers-staging"),  # staging allows DMs
    (CAROL, "get pods", DM, "prod-eu", "shop", {}, "allow", "team-reads"),  # reads from a DM count
    (CAROL, "restart", DEPLOY_PROD, "prod-eu", "shop", {}, "needs_approval", "prod-restarts"),
    (
        CAROL,
        "scale",
        DEPLOY_PROD,
        "prod-eu",
        "shop",
        {"replicas": 0, "destructive": True},
        "needs_approval",
        "destructive-in-prod",
    ),
    (CAROL, "scale", OPS, "staging-eu", "shop", {"replicas": 0, "destructive": True}, "allow", "deployers-staging"),
    (CAROL, "get secrets", OPS, "prod-eu", "payments", {}, "deny", "payments-secrets-in-prod"),
    (CAROL, "get secrets", OPS, "staging-eu", "payments", {}, "allow", "team-reads"),
    (CAROL, "cordon", OPS, "staging-eu", None, {}, "deny", "default-deny"),
    (ERIN, "cordon", OPS, "staging-eu", None, {}, "allow", "approvers-operate"),  # nodes: cluster-wide role
    (ERIN, "audit", OPS, None, None, {}, "allow", "approvers-operate"),
    (CAROL, "audit", OPS, None, None, {}, "deny", "default-deny"),  # its own permission, not a read
    (MALLORY, "get pods", OPS, "staging-eu", "shop", {}, "deny", "default-deny"),  # reads-for-everyone is off
    (MALLORY, "help", OPS, None, None, {}, "allow", "about-pilothouse"),
]


@pytest.mark.parametrize(("user", "command", "channel", "cluster", "namespace", "more", "outcome", "rule"), CASES)
def test_the_example_policy_decides(
    user: str,
    command: str,
    channel: str,
    cluster: str | None,
    namespace: str | None,
    more: dict[str, object],
    outcome: str,
    rule: str,
) -> None:
    decision = ask(who(user), command, channel, cluster, namespace, **more)
    assert (decision.outcome, decision.rule) == (outcome, rule), decision.reason


def test_a_slack_user_group_grants_its_members_and_only_them() -> None:
    dora = "U0DORA006"  # not named anywhere: only through the user group S0DEVS0001
    assert ask(who(dora, usergroups=frozenset({"S0DEVS0001"})), "get pods", OPS, "prod-eu", "shop").allowed
    assert not ask(who(dora), "get pods", OPS, "prod-eu", "shop").allowed
    assert who(dora, usergroups=frozenset({"S0DEVS0001"})).groups == {"S0DEVS0001", "developers"}


def test_external_people_get_nothing_unless_the_policy_says_so() -> None:
    outsider = who(CAROL, external=True)  # even with a deployer's ID, from another workspace
    for command, ns in (("get pods", "shop"), ("help", None), ("scale", "shop")):
        decision = ask(outsider, command, OPS, "staging-eu" if ns else None, ns, replicas=1)
        assert (decision.outcome, decision.rule) == ("deny", "external-users")
    granted = from_yaml(
        """
        roles: {guest: {commands: ["get pods"], clusters: ["staging-*"]}}
        bindings: [{name: partners, subjects: [external], roles: [guest]}]
        """
    )
    assert granted.authorise(outsider, Request("get pods", "read", OPS, "staging-eu", "shop")).allowed
    assert not granted.authorise(outsider, Request("get events", "read", OPS, "staging-eu", "shop")).allowed


def test_a_denial_says_what_would_be_needed_and_who_can_grant_it() -> None:
    request = Request("deploy", "write", OPS, "prod-eu", "shop", image="ghcr.io/acme/web:2")
    assert POLICY.authorise(who(ALICE), request).rule == "default-deny"
    needed, grantors = POLICY.needed(request)  # worked out only to explain a refusal
    assert any("role `prod-deployer`, granted by binding `deployers-prod`" in n for n in needed)
    assert any("channels C0DEPLOYPROD" in n for n in needed)
    assert grantors == ("#platform (U0ERIN005)",)
    text = str(refusal(POLICY.authorise(who(ALICE), request), request, POLICY))
    assert "Would allow it: role `prod-deployer`" in text and "Who can grant it: #platform (U0ERIN005)." in text
    limited = ask(who(CAROL), "scale", OPS, "staging-eu", "shop", replicas=50)
    assert "50 replicas is over the limit of role `staging-deployer` (at most 10)" in limited.reason


def test_needs_approval_carries_who_must_approve_and_how_many() -> None:
    decision = ask(who(CAROL), "restart", DEPLOY_PROD, "prod-eu", "shop")
    assert decision.outcome == "needs_approval" and not decision.allowed
    assert decision.approval is not None
    assert (decision.approval.approvers, decision.approval.count) == (("approvers",), 1)


def test_deny_rules_on_some_namespaces_are_enforced_per_namespace_for_cluster_wide_requests() -> None:
    policy = from_yaml(
        """
        deny: [{name: no-payments, namespaces: [payments]}]
        """
    )
    alice = Subject(ALICE)
    everywhere = Request("get pods", "read", OPS, "prod", None)
    assert policy.authorise(alice, everywhere).allowed  # decided again for each namespace it reaches:
    assert not policy.authorise(alice, everywhere.in_namespace("payments")).allowed
    assert policy.authorise(alice, everywhere.in_namespace("shop")).allowed
    nothing = from_yaml("deny: [{name: no-prod, clusters: [prod]}]")
    assert not nothing.authorise(alice, everywhere).allowed  # a rule for every namespace covers -A too


def test_the_channel_allow_list_is_part_of_the_decision() -> None:
    policy = from_yaml("{}", channels=frozenset({OPS}))
    assert policy.authorise(Subject(ALICE), Request("get pods", "read", OPS, "c", "shop")).allowed
    assert policy.authorise(Subject(ALICE), Request("get pods", "read", DM, "c", "shop")).allowed
    refused = policy.authorise(Subject(ALICE), Request("help", "read", "C0ELSEWHERE"))
    assert (refused.outcome, refused.rule) == ("deny", "channel-allow-list")


def test_channel_subjects_grant_everyone_speaking_there() -> None:
    policy = from_yaml(
        """
        roles: {shipper: {commands: [deploy]}}
        bindings: [{name: ship-room, subjects: [C0SHIPROOM], roles: [shipper]}]
        """
    )
    request = Request("deploy", "write", "C0SHIPROOM", "prod", "shop", image="ghcr.io/a/b:1")
    assert policy.authorise(Subject("U0ANYONE1"), request).allowed
    assert not policy.authorise(Subject("U0ANYONE1"), Request("deploy", "write", OPS, "prod", "shop")).allowed


def test_help_probes_ask_whether_a_command_is_allowed_anywhere_from_here() -> None:
    carol = who(CAROL)
    assert POLICY.authorise(carol, Request("deploy", "write", DEPLOY_PROD, anywhere=True)).allowed
    assert POLICY.authorise(carol, Request("deploy", "write", OPS, anywhere=True)).allowed  # staging counts anywhere
    assert not POLICY.authorise(who(ALICE), Request("deploy", "write", OPS, anywhere=True)).allowed


# --- the pieces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("prod-*", "prod-eu", True),
        ("prod-*", "prod-", True),
        ("prod-*", "staging-prod-eu", False),
        ("*-eu", "prod-eu", True),
        ("a*b*c", "aXXbYYc", True),
        ("a*b*c", "acb", False),
        ("ab*ba", "aba", False),
        ("*", "", True),
        ("shop", "shop*", False),  # a value is never a pattern
        ("shop", "Shop", False),  # exact case
        ("get *", "get pods", True),
    ],
)
def test_globs(pattern: str, value: str, matches: bool) -> None:
    assert Glob.parse(pattern).match(value) is matches


@pytest.mark.parametrize("pattern", ["[s]hop", "prod-?", "{a,b}", ""])
def test_only_star_is_a_wildcard(pattern: str) -> None:
    with pytest.raises(BadGlob):
        Glob.parse(pattern)


@pytest.mark.parametrize(
    ("image", "repo"),
    [
        ("nginx:1.26", "docker.io/library/nginx"),
        ("nginx", "docker.io/library/nginx"),
        ("docker.io/nginx", "docker.io/library/nginx"),
        ("bitnami/redis:7", "docker.io/bitnami/redis"),
        ("ghcr.io/acme/web:2@sha256:" + "a" * 64, "ghcr.io/acme/web"),
        ("localhost:5000/x/y:1", "localhost:5000/x/y"),
        ("registry.example.com:5000/app", "registry.example.com:5000/app"),
    ],
)
def test_image_repositories(image: str, repo: str) -> None:
    assert repository(image) == repo


def test_a_thousand_bindings_are_indexed_by_subject() -> None:
    lines = ["roles: {r: {commands: [read]}}", "bindings:"]
    lines += [f"  - {{name: b{i}, subjects: [U0USER{i:04d}], roles: [r]}}" for i in range(1000)]
    policy = from_yaml("\n".join(lines) + "\ndefaults: {reads_for_everyone: false}\n")
    decision: Decision = policy.authorise(Subject("U0USER0999"), Request("get pods", "read", OPS, "c", "shop"))
    assert (decision.outcome, decision.rule) == ("allow", "b999")
    assert not policy.authorise(Subject("U0USER1000"), Request("get pods", "read", OPS, "c", "shop")).allowed
