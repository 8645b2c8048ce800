"""`pilothouse check-config`: every problem with its file, line, field and a hint (exit 1), or a
summary of who may do what, where (exit 0). Never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot import cli
from tests.test_policy import EXAMPLE

PILOTHOUSE = str(Path(sys.executable).parent / "pilothouse")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("PILOTHOUSE_") or name == "KUBECONFIG":
            monkeypatch.delenv(name)


def check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "policy.yaml"
    path.write_text(textwrap.dedent(text).lstrip())
    code = cli.main(["check-config", "--policy", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err.replace(str(path), "policy.yaml")


def test_the_example_policy_is_clean_and_summarised(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check-config", "--policy", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "deployers → role prod-deployer (binding deployers-prod)" in out
    assert "at most 20 replicas; images ghcr.io/acme/*; not cluster-wide (-A, nodes)" in out
    assert "channels C0DEPLOYPROD" in out
    assert "payments-secrets-in-prod: clusters prod-*; namespaces payments (PCI scope)" in out
    assert (
        "prod-restarts: restart; 1 of approvers; clusters prod-*; namespaces *; waits 1h; not by the requester" in out
    )
    assert "destructive-in-prod: every command; 2 of approvers, deployers" in out
    assert "demo: the Slack bot off: as demo-admin (simulated)" in out  # impersonation, where it applies
    assert out.rstrip().endswith("OK: no problems found.")


def test_a_yaml_syntax_error_names_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(tmp_path, "roles:\n  reader:\n    commands: [read\n  bindings: []\n", capsys)
    assert code == 1
    assert err.startswith("policy.yaml:4: YAML syntax error")
    assert "Traceback" not in err


def test_shape_problems_name_the_line_the_field_and_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(
        tmp_path,
        """
        roles:
          reader:
            commands: [read]
            limits: {max_replicas: lots}
            colour: blue
        bindings:
          - name: everyone-reads
            subjects: [everyone]
            roles: [reader]
            direct_messages: sometimes
        rules: []
        """,
        capsys,
    )
    assert code == 1
    assert "policy.yaml:4: roles.reader.limits.max_replicas: Input should be a valid integer" in err
    assert "policy.yaml:5: roles.reader.colour: is not a known key" in err
    assert "policy.yaml:10: bindings[0].direct_messages: Input should be 'none', 'read' or 'all'" in err
    assert "policy.yaml:11: rules: is not a known key" in err
    assert "hint: the old `rules:` list is now `roles:` and `bindings:`" in err
    assert "4 problem(s) found" in err


def test_meaning_problems_each_get_a_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(
        tmp_path,
        """
        groups:
          devs: [U0ALICE01, alice, u0bob0002]
        roles:
          reader:
            commands: ["gett pods", "get *"]
            namespaces: ["[s]hop"]
          deployer:
            commands: [deploy]
            limits: {images: ["acme/*"]}
          lonely:
            commands: [read]
        bindings:
          - name: devs-read
            subjects: [devs, Alice, C0OPS0001]
            roles: [reader, deployr]
            channels: ["#ops"]
          - name: devs-read
            subjects: [devs]
            roles: [deployer]
        """,
        capsys,
    )
    assert code == 1
    expected = [
        "policy.yaml:2: groups.devs[1]: `alice` is not a Slack user ID (U…/W…) or user group ID (S…)",
        "policy.yaml:2: groups.devs[2]: `u0bob0002` is not a Slack user ID",  # IDs are upper-case: no case tricks
        "policy.yaml:5: roles.reader.commands[0]: no command is called `gett pods`",
        "hint: did you mean `get pods`",
        "policy.yaml:6: roles.reader.namespaces[0]: `[s]hop` uses `[` `]`: only `*` is a wildcard",
        "policy.yaml:9: roles.deployer.limits.images[0]: `acme/*` does not start with a registry host",
        "policy.yaml:10: roles.lonely: role `lonely` is bound to nobody",
        "policy.yaml:14: bindings[0].subjects[1]: `Alice` is not an ID or a known group",
        "policy.yaml:15: bindings[0].roles[1]: role `deployr` does not exist",
        "hint: did you mean `deployer`?",
        "policy.yaml:16: bindings[0].channels[0]: `#ops` is not a channel ID (C…/G…)",
        "policy.yaml:17: bindings[1].name: the name `devs-read` is used twice",
    ]
    for line in expected:
        assert line in err, line


def test_approval_rules_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(
        tmp_path,
        """
        approvals:
          - name: two-people
            commands: [restart]
            approvers: [U0ERIN005]
            count: 2
            expires: 8d
          - name: confirm-first
            approvers: [U0ERIN005]
            expires: soon
        """,
        capsys,
    )
    assert code == 1
    expected = [
        "approvals[0].count: 2 approvals are needed but only 1 people are named",
        "approvals[0].expires: `8d` is too long: at most 7d",
        "approvals[1].expires: `soon` is not a duration: use e.g. `30m`, `2h`, `1d` or `1h30m`",
        "approvals[1].name: `confirm-first` is the name of a built-in rule",
    ]
    for line in expected:
        assert line in err, err
    code, _, err = check(tmp_path, "approvals: [{name: x, approvers: [U0ERIN005], deny_count: 0}]", capsys)
    assert code == 1 and "approvals[0].deny_count: Input should be greater than or equal to 1" in err


def test_a_key_given_twice_is_a_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check(tmp_path, "roles:\n  r: {commands: [read]}\n  r: {commands: [write]}\n", capsys)
    assert code == 1 and "policy.yaml:3: roles.r: is given twice" in err


def test_system_groups_are_never_impersonated(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOTHOUSE_IMPERSONATE_GROUP_PREFIX", "system:")
    code, _, err = check(
        tmp_path,
        """
        groups: {masters: [U0ALICE01]}
        roles: {admin: {commands: ["*"], cluster_wide: true}}
        bindings: [{name: admins, subjects: [masters], roles: [admin]}]
        """,
        capsys,
    )
    assert code == 1
    assert "policy: groups.masters: would be impersonated as `system:masters`" in err
    assert "PILOTHOUSE_IMPERSONATE_GROUP_PREFIX" in err


def test_settings_are_checked_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOTHOUSE_CHANNEL_CLUSTERS", "C0OPS0001=prod-eu")
    monkeypatch.setenv("PILOTHOUSE_SLACK_TEAM_IDS", "T0OURS001,acme")
    monkeypatch.setenv("PILOTHOUSE_IMPERSONATE", "prod-*=sometimes")
    code, _, err = check(tmp_path, "{}", capsys)
    assert code == 1
    assert "PILOTHOUSE_CHANNEL_CLUSTERS: channel C0OPS0001 is given cluster `prod-eu`, which is not configured" in err
    assert "PILOTHOUSE_SLACK_TEAM_IDS: `acme` is not a workspace ID (T…)" in err
    assert "settings: PILOTHOUSE_IMPERSONATE: `prod-*=sometimes`: the mode is auto, on or off" in err


def test_the_console_script_exits_1_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("roles: {r: {commands: [nonsense]}}\nbindings: [{name: b, subjects: [U0A1], roles: [r]}]\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTHOUSE_")}
    result = subprocess.run(
        [PILOTHOUSE, "check-config", "--policy", str(path)], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.returncode == 1
    assert f"{path}:1: roles.r.commands[0]: no command is called `nonsense`" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
