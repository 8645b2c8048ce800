"""`pilothouse check-config`: every problem in the policy file and the settings, or a summary
of who may do what, where, within which limits, and as whom Kubernetes sees them.

Exit 0 when nothing is wrong, 1 otherwise (2: the command itself was misused). Never a
traceback: every problem is a line with its file, line, field path and a hint.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from bot.policy.engine import Policy
from bot.policy.load import PolicyProblems, builtin, load
from bot.settings import Settings
from commands import default_registry
from commands.errors import PilothouseError
from commands.values import duration_text
from integrations.cluster.clusters import Clusters
from integrations.cluster.port import RESERVED_PREFIX

_TEAM = re.compile(r"^T[A-Z0-9]{2,20}$")
_ENTERPRISE = re.compile(r"^E[A-Z0-9]{2,20}$")
_CHANNEL = re.compile(r"^[CG][A-Z0-9]{2,20}$")


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def problem(self, where: str, message: str, hint: str | None = None) -> None:
        self.problems.append(f"{where}: {message}" + (f"\n    hint: {hint}" if hint else ""))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="pilothouse check-config",
        description="Check the policy file and the settings; print every problem (exit 1) or a summary (exit 0).",
    )
    p.add_argument("--policy", metavar="FILE", help="the policy file (default: PILOTHOUSE_POLICY_FILE)")
    p.add_argument("--env-file", metavar="PATH", help="read PILOTHOUSE_* settings from this file too")
    return p


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    from bot.cli import load_settings

    settings = load_settings(args.env_file, "pilothouse check-config")
    if settings is None:
        return 1
    report = check(settings, Path(args.policy) if args.policy else settings.policy_file)
    if report.problems:
        for line in report.problems:
            print(line, file=sys.stderr)
        print(f"\n{len(report.problems)} problem(s) found; nothing was started.", file=sys.stderr)
        return 1
    print("\n".join(report.summary))
    return 0


def check(settings: Settings, policy_path: Path | None) -> Report:
    report = Report()
    registry = default_registry()
    policy: Policy | None = None
    if policy_path is None:
        policy = builtin(registry)
    else:
        try:
            policy = load(policy_path, registry)
        except PolicyProblems as e:
            report.problems += [p.text(e.source) for p in e.problems]
    clusters = _clusters(settings, report)
    _settings(settings, clusters, report)
    if policy is not None:
        _impersonated_names(settings, policy, report)
        if not report.problems:
            report.summary = summary(policy, clusters, settings, policy_path)
    return report


def _clusters(settings: Settings, report: Report) -> Clusters | None:
    from bot.wiring import build_clusters

    try:
        return build_clusters(settings)
    except PilothouseError as e:
        report.problem("settings: PILOTHOUSE_KUBECONFIG", e.message, e.hint)
        return None


def _settings(settings: Settings, clusters: Clusters | None, report: Report) -> None:
    from bot.wiring import channel_clusters, impersonation

    names = [c.name for c in clusters] if clusters is not None else []
    try:
        for channel, cluster in channel_clusters(settings).items():
            if clusters is not None and cluster not in names:
                report.problem(
                    "settings: PILOTHOUSE_CHANNEL_CLUSTERS",
                    f"channel {channel} is given cluster `{cluster}`, which is not configured",
                    f"known clusters: {', '.join(names) or 'none'}",
                )
            if not _CHANNEL.match(channel):
                report.problem("settings: PILOTHOUSE_CHANNEL_CLUSTERS", f"`{channel}` is not a channel ID (C…/G…)")
    except PilothouseError as e:
        report.problem("settings: PILOTHOUSE_CHANNEL_CLUSTERS", e.message, e.hint)
    if clusters is not None:
        try:
            impersonation(settings, clusters, chat="slack")
        except PilothouseError as e:
            report.problem("settings", e.message, e.hint)
    for name, text, pattern, what in (
        ("PILOTHOUSE_SLACK_CHANNELS", settings.slack_channels, _CHANNEL, "a channel ID (C…/G…)"),
        ("PILOTHOUSE_SLACK_TEAM_IDS", settings.slack_team_ids, _TEAM, "a workspace ID (T…)"),
        ("PILOTHOUSE_SLACK_ENTERPRISE_IDS", settings.slack_enterprise_ids, _ENTERPRISE, "an Enterprise Grid ID (E…)"),
    ):
        for value in (v.strip() for v in text.split(",") if v.strip()):
            if not pattern.match(value):
                report.problem(f"settings: {name}", f"`{value}` is not {what}")


def _impersonated_names(settings: Settings, policy: Policy, report: Report) -> None:
    """Refuse a policy that would make Pilothouse impersonate a `system:` group (system:masters)."""
    groups = sorted({*policy.groups, *policy.usergroups})
    for group in groups:
        name = settings.impersonate_group_prefix + group
        if name.startswith(RESERVED_PREFIX):
            report.problem(
                f"policy: groups.{group}",
                f"would be impersonated as `{name}`: Pilothouse never impersonates `{RESERVED_PREFIX}` groups",
                "change PILOTHOUSE_IMPERSONATE_GROUP_PREFIX (default `pilothouse:`)",
            )
    if settings.impersonate_user_prefix.startswith(RESERVED_PREFIX):
        report.problem(
            "settings: PILOTHOUSE_IMPERSONATE_USER_PREFIX",
            f"`{settings.impersonate_user_prefix}` would impersonate Kubernetes' own `system:` users",
        )


def summary(policy: Policy, clusters: Clusters | None, settings: Settings, path: Path | None) -> list[str]:
    source = str(path) if path else "no policy file (built-in defaults)"
    lines = [
        f"Policy: {source}: {len(policy.groups)} group(s), {len({r.name for b in policy.bindings for r in b.roles})} "
        f"role(s), {len(policy.bindings)} binding(s), {len(policy.deny)} deny rule(s), "
        f"{len(policy.approvals)} approval rule(s), {len(policy.freezes)} freeze(s).",
        "",
        "Who may do what, where:",
    ]
    for binding in policy.bindings:
        for role in binding.roles:
            commands = role.commands.describe()
            lines.append(
                f"  {', '.join(binding.subjects)} → role {role.name} (binding {binding.name}): {commands}; "
                f"clusters {role.clusters}; namespaces {role.namespaces}; {role.limits()}; {binding.where()}"
                + (f"; granted by {role.owner}" if role.owner else "")
            )
    if policy.reads_for_everyone:
        lines.append(
            "  everyone (our workspace) → every read command, every cluster and namespace (reads-for-everyone)"
        )
    if not policy.bindings and not policy.reads_for_everyone:
        lines.append("  nobody: no binding, and reads-for-everyone is off")
    for name, members in policy.groups.items():
        lines.append(f"  group {name}: {', '.join(sorted(members))}")
    if policy.deny:
        lines += ["", "Denied whatever else allows it:"]
        lines += [
            f"  {d.name}: clusters {d.clusters}; namespaces {d.namespaces}" + (f" ({d.reason})" if d.reason else "")
            for d in policy.deny
        ]
    if policy.approvals:
        lines += ["", "Changes that wait for approval (`approvals`, `approve ID`):"]
        lines += [
            f"  {a.name}: {a.commands.describe()}; {a.count} of {', '.join(a.approvers)}"
            + (f", refused at {a.deny_count} denials" if a.deny_count > 1 else "")
            + f"; clusters {a.clusters}; namespaces {a.namespaces}"
            + (
                "; destructive ones only"
                if a.destructive
                else "; not destructive ones"
                if a.destructive is False
                else ""
            )
            + f"; waits {duration_text(a.ttl)}"
            + ("; the requester may approve" if a.self_approval else "; not by the requester")
            for a in policy.approvals
        ]
    lines += (
        ["", "Change freezes:"] if policy.freezes else ["", "Change freezes: none (a `freezes:` section adds them)."]
    )
    for freeze in policy.freezes:
        windows = "; ".join(w.describe() for w in freeze.windows)
        lines.append(f"  {freeze.name}: {freeze.effect_text()}; {freeze.scope()}; when {windows} ({freeze.reason})")
    lines += ["", "External people (other workspaces): only what bindings to `external` grant."]
    if clusters is not None:
        from bot.wiring import impersonation

        bot = impersonation(settings, clusters, chat="slack")
        lines += ["", "Kubernetes identity (impersonation):"]
        for cluster in clusters:
            user, group = settings.impersonate_user_prefix, settings.impersonate_group_prefix
            how = (
                f"on: as {user}<user ID> with groups {group}<group>"
                if bot.applies(cluster.name)
                else f"off: as {cluster.identity}"
            )
            lines.append(f"  {cluster.name}: the Slack bot {how}; the shell off (on with --impersonate)")
    lines += ["", "OK: no problems found."]
    return lines
