"""The Helm chart, rendered by the official helm binary: lint, strict validation for Kubernetes
1.29 and 1.35, the RBAC it grants, the values it refuses, the environment the bot gets, and a
server-side dry run of the 1.20 rendering against the real test control plane."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot import wiring
from bot.policy import load
from bot.settings import Settings
from commands import default_registry
from tests.chart.helm import SHA256, VERSION, fetch
from tests.chart.render import (
    NAMESPACE,
    ROOT,
    VALUES,
    Doc,
    Helm,
    HelmFailed,
    env_of,
    of_kind,
    one,
    scenario,
    validate,
)
from tests.cluster.controlplane import ControlPlane

SCENARIOS = ["defaults", *sorted(p.stem for p in VALUES.glob("*.yaml"))]
MINIMAL = ROOT / "examples" / "values-minimal.yaml"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection", "impersonate", "escalate", "bind"}


@pytest.fixture(scope="session")
def helm() -> Helm:
    return Helm(fetch())


def rules(docs: list[Doc]) -> Iterator[tuple[Doc, dict[str, Any]]]:
    for doc in docs:
        if doc["kind"] in ("ClusterRole", "Role"):
            for rule in doc.get("rules") or []:
                yield doc, rule


def grants(docs: list[Doc], verb: str, resource: str) -> list[dict[str, Any]]:
    return [r for _, r in rules(docs) if verb in r["verbs"] and resource in r["resources"]]


# --- helm itself --------------------------------------------------------------------------------


def test_helm_is_the_official_binary_checked_by_its_sha256(helm: Helm) -> None:
    assert hashlib.sha256(helm.binary.read_bytes()).hexdigest() == SHA256
    assert helm.run("version", "--short").startswith(VERSION)


@pytest.mark.parametrize("name", [*SCENARIOS, "minimal"])
def test_lint_strict(helm: Helm, name: str) -> None:
    files = [MINIMAL] if name == "minimal" else scenario(name)
    assert "0 chart(s) failed" in helm.lint(*files)


@pytest.mark.parametrize("version", ["1.29.0", "1.35.0"])
@pytest.mark.parametrize("name", [*SCENARIOS, "minimal"])
def test_every_manifest_validates_strictly(helm: Helm, name: str, version: str) -> None:
    files = [MINIMAL] if name == "minimal" else scenario(name)
    docs = helm.template(*files, kube=version)
    assert docs
    for doc in docs:
        validate(doc, version)


def test_validation_fails_on_what_kubernetes_would_reject() -> None:
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"portz": []}}
    with pytest.raises(AssertionError, match="portz"):
        validate(service, "1.29.0")
    with pytest.raises(AssertionError, match="no schema"):  # an unknown kind is a failure, not a pass
        validate({"apiVersion": "example.com/v1", "kind": "Gadget", "metadata": {"name": "x"}}, "1.29.0")


# --- what the defaults make ---------------------------------------------------------------------


def test_the_defaults_render_a_highly_available_bot_and_nothing_surprising(helm: Helm) -> None:
    docs = helm.template()
    bot = ["Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service"]
    extra = ["PodDisruptionBudget", "Secret", "Service", "StatefulSet"]  # and the bundled Redis, its password
    assert sorted(d["kind"] for d in docs) == sorted(bot + extra)
    deployment = one(docs, "Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}
    pod = spec["template"]["spec"]
    assert [c["topologyKey"] for c in pod["topologySpreadConstraints"]] == [
        "kubernetes.io/hostname",
        "topology.kubernetes.io/zone",
    ]
    assert pod["terminationGracePeriodSeconds"] == 30 + 15  # PILOTHOUSE_REQUEST_BUDGET + the last edits
    container = pod["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    }
    assert container["image"] == "pilothouse:0.1.0"
    # The Slack tokens are not in the values: the pods wait for the Secret NOTES.txt tells how to make.
    assert env_of(docs)["PILOTHOUSE_SLACK_BOT_TOKEN"] == {
        "secretKeyRef": {"name": "ph-pilothouse-slack", "key": "bot-token"}
    }
    assert not [d for d in of_kind(docs, "Secret") if d["metadata"]["name"] == "ph-pilothouse-slack"]
    assert one(docs, "PodDisruptionBudget")["apiVersion"] == "policy/v1"
    assert _nulls(docs) == []


def _nulls(value: Any, path: str = "") -> list[str]:
    if value is None:
        return [path]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in _nulls(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in _nulls(v, f"{path}[{i}]")]
    return []


def test_a_pdb_is_made_only_when_a_pod_can_be_spared(helm: Helm) -> None:
    assert not of_kind(helm.template(sets=("replicaCount=1",)), "PodDisruptionBudget")
    assert one(helm.template(kube="1.20.2"), "PodDisruptionBudget")["apiVersion"] == "policy/v1beta1"


def test_a_policy_change_rolls_the_pods_and_the_policy_is_mounted_as_a_directory(helm: Helm, tmp_path: Path) -> None:
    docs = helm.template(*scenario("http"))
    pod = one(docs, "Deployment")["spec"]["template"]
    changed = helm.template(
        *scenario("http"), sets=("policy.file.bindings[0].name=renamed", "policy.file.bindings[0].channels[0]=C0X")
    )
    assert "checksum/config" in pod["metadata"]["annotations"]
    assert (
        one(changed, "Deployment")["spec"]["template"]["metadata"]["annotations"]["checksum/config"]
        != pod["metadata"]["annotations"]["checksum/config"]
    )
    mount = next(m for m in pod["spec"]["containers"][0]["volumeMounts"] if m["name"] == "policy")
    assert "subPath" not in mount  # a subPath mount never sees ConfigMap updates
    written = tmp_path / "policy.yaml"
    written.write_text(one(docs, "ConfigMap")["data"]["policy.yaml"])
    assert load(written, default_registry()).bindings[0].name == "sre-may-change-prod"  # read as the bot reads it
    assert env_of(docs)["PILOTHOUSE_POLICY_FILE"] == "/etc/pilothouse/policy/policy.yaml"


def test_notes_tell_the_operator_what_to_do_next(helm: Helm) -> None:
    defaults = helm.notes()
    assert "kubectl -n ops create secret generic ph-pilothouse-slack" in defaults
    assert "--from-literal=app-token=xapp-" in defaults and "rollout status deployment/ph-pilothouse" in defaults
    assert "bundled single Redis" in defaults and "No policy is set" in defaults
    http = helm.notes(*scenario("http"))
    assert "create secret" not in http  # the chart made it from the values
    assert "https://pilothouse.example.com/slack/events" in http and "Request URL" in http
    sentinel = helm.notes(*scenario("sentinel"))
    assert "create secret" not in sentinel and "bundled" not in sentinel
    risky = helm.notes(*scenario("read-only"), sets=("rbac.impersonation.anyUser=true",))
    assert "impersonate ANY user name" in risky


# --- RBAC ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_rbac_has_no_wildcards(helm: Helm, name: str) -> None:
    for doc, rule in rules(helm.template(*scenario(name), sets=("rbac.readSecrets=true",))):
        for field in ("verbs", "resources", "apiGroups", "resourceNames"):
            assert not any("*" in item for item in rule.get(field, [])), (doc["metadata"]["name"], rule)


def test_reads_are_what_the_commands_and_digests_read(helm: Helm) -> None:
    role = next(d for d in helm.template() if d["kind"] == "ClusterRole")
    reads = {
        (group, resource): set(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        if not set(rule["verbs"]) & WRITE_VERBS
    }
    assert reads == {
        ("", "nodes"): {"get", "list", "watch"},
        ("", "namespaces"): {"get", "list", "watch"},
        ("", "pods"): {"get", "list", "watch"},
        ("", "events"): {"get", "list", "watch"},
        ("", "pods/log"): {"get"},
        ("apps", "deployments"): {"get", "list", "watch"},
        ("apps", "replicasets"): {"get", "list", "watch"},
    }


def test_write_verbs_only_where_enabled(helm: Helm) -> None:
    defaults = helm.template()
    assert grants(defaults, "patch", "deployments") and grants(defaults, "delete", "pods")
    assert grants(defaults, "patch", "nodes")
    read_only = helm.template(*scenario("read-only"))
    written = {
        (doc["metadata"]["name"], resource, verb)
        for doc, rule in rules(read_only)
        for resource in rule["resources"]
        for verb in set(rule["verbs"]) & WRITE_VERBS
    }
    # Only the Lease of leader election, and impersonation of the named identities.
    assert written == {
        ("ph-pilothouse-leader", "leases", "create"),
        ("ph-pilothouse-leader", "leases", "update"),
        ("ph-pilothouse", "users", "impersonate"),
        ("ph-pilothouse", "groups", "impersonate"),
    }


@pytest.mark.parametrize("name", SCENARIOS)
def test_secrets_are_readable_only_when_enabled(helm: Helm, name: str) -> None:
    assert not [r for _, r in rules(helm.template(*scenario(name))) if "secrets" in r["resources"]]
    enabled = [r for _, r in rules(helm.template(*scenario(name), sets=("rbac.readSecrets=true",)))]
    secrets = [r["verbs"] for r in enabled if "secrets" in r["resources"]]
    assert secrets and all(verbs == ["get", "list"] for verbs in secrets)


def test_impersonation_only_of_the_named_users_and_groups(helm: Helm) -> None:
    docs = helm.template(*scenario("read-only"))
    users, groups = grants(docs, "impersonate", "users"), grants(docs, "impersonate", "groups")
    assert [r["resourceNames"] for r in users] == [["slack:U012AB3CD", "slack:U045EF6GH"]]
    assert [r["resourceNames"] for r in groups] == [["pilothouse:sre", "pilothouse:oncall"]]
    assert not [r for _, r in rules(docs) if {"serviceaccounts", "uids", "userextras"} & set(r["resources"])]
    env = env_of(docs)
    assert env["PILOTHOUSE_IMPERSONATE"] == "on" and env_of(helm.template())["PILOTHOUSE_IMPERSONATE"] == "off"
    assert env["PILOTHOUSE_IMPERSONATE_USER_PREFIX"] == "slack:"
    assert env["PILOTHOUSE_IMPERSONATE_GROUP_PREFIX"] == "pilothouse:"
    for name in SCENARIOS:
        if name != "read-only":
            assert not [r for _, r in rules(helm.template(*scenario(name))) if "impersonate" in r["verbs"]], name


def test_any_user_impersonation_is_an_explicit_choice(helm: Helm) -> None:
    docs = helm.template(*scenario("read-only"), sets=("rbac.impersonation.anyUser=true",))
    assert [r.get("resourceNames") for r in grants(docs, "impersonate", "users")] == [None]
    assert [r["resourceNames"] for r in grants(docs, "impersonate", "groups")] == [
        ["pilothouse:sre", "pilothouse:oncall"]
    ]


def test_leases_only_in_the_release_namespace_and_updates_only_to_its_own(helm: Helm) -> None:
    docs = helm.template()
    lease_rules = [(doc, rule) for doc, rule in rules(docs) if "leases" in rule["resources"]]
    assert {doc["kind"] for doc, _ in lease_rules} == {"Role"}
    assert {doc["metadata"]["namespace"] for doc, _ in lease_rules} == {NAMESPACE}
    named = [rule for _, rule in lease_rules if "update" in rule["verbs"]]
    assert [r["resourceNames"] for r in named] == [["ph-pilothouse-scheduler"]]
    env = env_of(docs)
    assert (env["PILOTHOUSE_LEADER_ELECTION"], env["PILOTHOUSE_LEADER_LEASE_NAME"]) == (
        "lease",
        "ph-pilothouse-scheduler",
    )
    assert env["PILOTHOUSE_LEADER_LEASE_NAMESPACE"] == NAMESPACE


def test_clusters_come_from_a_configmap_the_chart_makes_or_yours(helm: Helm, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = helm.template(*scenario("multi-cluster"))
    settings = settings_from(env_of(docs), monkeypatch)
    assert settings.channel_cluster_map == {"C0PRODOPS": "prod-eu", "C0STAGING": "staging"}
    assert settings.default_cluster == "prod-eu" and settings.in_cluster_name == "ops"
    assert settings.kubeconfig == "/etc/pilothouse/kubeconfigs/prod-eu.yaml:/etc/pilothouse/kubeconfigs/staging.yaml"
    assert "checksum/clusters" in one(docs, "Deployment")["spec"]["template"]["metadata"]["annotations"]
    yours = helm.template(*scenario("existing-secret"), sets=("clusters.existingConfigMap=our-clusters",))
    assert env_of(yours)["configMapRef:our-clusters"] == "our-clusters"
    assert not of_kind(yours, "ConfigMap")
    assert not of_kind(helm.template(), "ConfigMap")  # nothing to put in one


def test_rbac_in_listed_namespaces_only(helm: Helm) -> None:
    docs = helm.template(*scenario("multi-cluster"))
    cluster_role = next(d for d in docs if d["kind"] == "ClusterRole")
    assert {r for rule in cluster_role["rules"] for r in rule["resources"]} == {"nodes", "namespaces"}
    roles = [d for d in docs if d["kind"] == "Role" and d["metadata"]["name"] == "ph-pilothouse"]
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["default", "shop"]
    bindings = [d for d in docs if d["kind"] == "RoleBinding" and d["metadata"]["name"] == "ph-pilothouse"]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["default", "shop"]


# --- values the chart refuses, each with a message that says what is wrong --------------------------


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (("replicaCount=two",), "at '/replicaCount': got string, want integer"),
        (("replicas=3",), "additional properties 'replicas' not allowed"),
        (("slack.mode=websocket",), "at '/slack/mode': value must be one of 'socket', 'http'"),
        (("slack.botToken=abc",), "at '/slack/botToken': 'abc' does not match pattern"),
        (("redis.mode=cluster",), "at '/redis/mode': value must be one of"),
        (("redis.url=http://redis",), "at '/redis/url'"),
        (("settings.logLevel=LOUD",), "at '/settings/logLevel': 'LOUD' does not match pattern"),
        (("settings.workQueue=-1",), "at '/settings/workQueue': minimum: got -1, want 0"),
        (("settings.redisUrl=redis://x",), "at '/settings': additional properties 'redisUrl' not allowed"),
        (("rbac.impersonation.users={U012AB3CD,alice}",), "'alice' does not match pattern '^[UW][A-Z0-9]+$'"),
        (("rbac.impersonation.groups={sre,*}",), "at '/rbac/impersonation/groups/1'"),
        (("clusters.channels.general=prod",), "'general' does not match pattern '^[CGD][A-Z0-9]+$'"),
        (("image.pullPolicy=Sometimes",), "at '/image/pullPolicy'"),
    ],
)
def test_the_schema_rejects_bad_values(helm: Helm, sets: tuple[str, ...], message: str) -> None:
    with pytest.raises(HelmFailed) as e:
        helm.template(sets=sets)
    assert "don't meet the specifications of the schema" in str(e.value)
    assert message in str(e.value)


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        (("redis.mode=none",), "with replicaCount > 1 the replicas would not share it"),
        (("redis.mode=external",), "redis.mode external needs redis.url"),
        (("redis.mode=sentinel", "redis.url=redis://mymaster/0"), "needs redis.sentinels"),
        (("redis.mode=external", "redis.url=redis://:pw@redis/0"), "must not carry a password"),
        (("redis.mode=external", "redis.url=redis://redis/0", "redis.tls.caSecret=ca"), "is not rediss://"),
        (("clusters.inCluster.enabled=false",), "No cluster to talk to"),
        (("clusters.kubeconfigs.existingSecret=k",), "needs clusters.kubeconfigs.files"),
        (("slack.existingSecret=s", "slack.botToken=xoxb-1"), "Give the Slack tokens once"),
        (("slack.botToken=xoxb-1",), "slack.mode socket needs slack.appToken"),
        (("slack.mode=http", "slack.botToken=xoxb-1"), "slack.mode http needs slack.signingSecret"),
        (("rbac.impersonation.enabled=true",), "needs rbac.impersonation.users"),
        (("ingress.enabled=true",), "ingress.enabled needs ingress.host"),
        (("clusters.existingConfigMap=c", "clusters.default=x"), "Give the clusters once"),
    ],
)
def test_values_that_do_not_fit_together_are_refused_clearly(helm: Helm, sets: tuple[str, ...], message: str) -> None:
    with pytest.raises(HelmFailed, match="execution error") as e:
        helm.template(sets=sets)
    assert message in str(e.value)


# --- the environment the bot gets -------------------------------------------------------------------


def settings_from(env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The bot's Settings as the pod would load them (Secret references read as placeholders)."""
    for name in list(__import__("os").environ):
        if name.startswith("PILOTHOUSE_") or name == "KUBECONFIG":
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value if isinstance(value, str) else "xoxb-from-a-secret")
    return Settings()


@pytest.mark.parametrize("name", [*SCENARIOS, "minimal"])
def test_the_bot_accepts_the_environment_the_chart_gives_it(
    helm: Helm, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = helm.template(*([MINIMAL] if name == "minimal" else scenario(name)))
    settings = settings_from(env_of(docs), monkeypatch)
    assert settings.slack and settings.http_port == 3000
    assert settings.redis_url is not None  # every scenario shares state in Redis
    assert wiring.redis_target(settings) is not None  # sentinels, URL and CA file as the store reads them


def test_every_setting_reaches_the_bot_as_its_own_variable(
    helm: Helm, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    values = yaml.safe_load((ROOT / "helm" / "pilothouse" / "values.yaml").read_text())["settings"]
    given = {
        "slackCommand": "/ops",
        "slackChannels": "C1,C2",
        "slackApiUrl": "https://slack.example/api/",
        "httpMaxBody": 64 * 1024 * 1024,  # big enough for helm to hold it as 6.7108864e+07
        "requestTimeout": 12.5,
        "httpThreads": 8,
        "workProcesses": 0,
        "workers": 4,
        "workQueue": 100_000,
        "requestBudget": 45,
        "workSettle": 0.05,
        "leaderTtl": 20,
        "digestMisfireGrace": 7200,
        "digestLateAfter": 0,
        "logLevel": "INFO",
        "slackTeamIds": "T0AAA0001,T0BBB0002",
        "slackEnterpriseIds": "E0AAA0001",
        "demoClusters": "staging-eu,prod-eu",
        "policyReload": 5,
        "groupTtl": 60,
        "accessReview": True,
        "auditMaxEntries": 5000,
        "auditRetentionDays": 30,
        "approvalsChannel": "C0APPROVE1",
        "approveReaction": "+1",
        "denyReaction": "-1",
        "approvalsSweep": 2.5,
    }
    assert set(given) == set(values), "a new setting in the chart: give it a value here"
    (tmp_path / "v.yaml").write_text(yaml.safe_dump({"settings": given}))
    docs = helm.template(tmp_path / "v.yaml")
    settings = settings_from(env_of(docs), monkeypatch)
    for key, value in given.items():
        name = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
        assert getattr(settings, name) == value, name
    assert one(docs, "Deployment")["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 45 + 15


# --- the generated documents --------------------------------------------------------------------------


def test_the_generated_settings_documents_are_up_to_date() -> None:
    result = subprocess.run(
        [".venv/bin/python", "scripts/settings_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


# --- server-side dry run on the real control plane (Kubernetes 1.20) ----------------------------------


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_1_20_rendering_is_accepted_by_a_real_api_server(
    helm: Helm, control_plane: ControlPlane, name: str, tmp_path: Path
) -> None:
    # Into namespaces that exist: a dry run stores nothing, so nothing is left to clean up.
    sets = ["rbac.namespaces={default,kube-public}"] if name == "multi-cluster" else []
    sets.append("metrics.serviceMonitor.enabled=false")  # a CRD the test control plane does not have
    docs = helm.template(*scenario(name), kube="1.20.2", sets=tuple(sets), namespace="default")
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all(docs))
    kubectl = [str(control_plane.bin_dir / "kubectl"), "--kubeconfig", str(control_plane.admin_kubeconfig)]
    result = subprocess.run(
        [*kubectl, "apply", "--server-side", "--dry-run=server", "--field-manager=helm", "-f", str(rendered)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    applied = [line for line in result.stdout.splitlines() if line.endswith("serverside-applied (server dry run)")]
    assert len(applied) == len(docs), result.stdout
    check = subprocess.run(
        [*kubectl, "-n", "default", "get", "deployment", "ph-pilothouse"], capture_output=True, text=True, timeout=30
    )
    assert "NotFound" in check.stderr  # a dry run stores nothing
