"""Policy: the first matching rule decides; reads default to allowed, everything else denied."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.policy import Policy, Request, Rule
from commands.errors import ConfigError


def request(**overrides: object) -> Request:
    fields: dict[str, object] = dict(
        user="U1", channel="C1", cluster="prod", namespace="shop", command="get pods", access="read"
    )
    fields.update(overrides)
    return Request(**fields)  # type: ignore[arg-type]


def test_reads_are_allowed_and_writes_denied_by_default() -> None:
    policy = Policy([])
    assert policy.decide(request()).allowed
    assert policy.decide(request()).rule == "reads-for-everyone"
    denied = policy.decide(request(access="write", command="scale"))
    assert not denied.allowed
    assert denied.rule == "default-deny"


def test_first_matching_rule_wins() -> None:
    policy = Policy(
        [
            Rule(name="no-prod-secrets", effect="deny", clusters=("prod",), namespaces=("kube-*",)),
            Rule(name="sre-writes", effect="allow", users=("U-SRE",), access=("write",)),
        ]
    )
    assert policy.decide(request(namespace="kube-system")).rule == "no-prod-secrets"
    assert not policy.decide(request(namespace="kube-system")).allowed
    assert policy.decide(request(user="U-SRE", access="write")).allowed
    assert not policy.decide(request(user="U-OTHER", access="write")).allowed


def test_rules_for_some_namespaces_do_not_cover_cluster_wide_requests() -> None:
    policy = Policy([Rule(name="shop-only", effect="allow", namespaces=("shop",), access=("write",))])
    assert policy.decide(request(access="write")).allowed
    assert not policy.decide(request(access="write", namespace=None)).allowed


def test_demo_policy_makes_the_local_user_admin_of_the_demo_cluster_only() -> None:
    policy = Policy.demo("alice", "demo")
    assert policy.decide(request(user="alice", cluster="demo", access="write")).allowed
    assert not policy.decide(request(user="bob", cluster="demo", access="write")).allowed
    assert not policy.decide(request(user="alice", cluster="prod", access="write")).allowed


def test_policy_file_is_loaded_and_validated(tmp_path: Path) -> None:
    good = tmp_path / "policy.yaml"
    good.write_text("rules:\n  - name: ops\n    effect: allow\n    channels: [C-OPS]\n    access: [write]\n")
    policy = Policy.from_file(good)
    assert policy.decide(request(channel="C-OPS", access="write")).rule == "ops"

    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - name: ops\n    effect: maybe\n")
    with pytest.raises(ConfigError, match="effect"):
        Policy.from_file(bad)
    with pytest.raises(ConfigError, match="cannot be read"):
        Policy.from_file(tmp_path / "missing.yaml")
