"""help, whoami, clusters: about Pilothouse itself. What they show is what the policy says for
the person asking, here: help lists only commands they may run, whoami what, where, within
which limits, and (with --cluster) what Kubernetes RBAC lets their identity do."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.handlers.context import Context
from bot.policy.engine import Ballot, Binding, Request, Role
from commands import help as help_text
from commands.errors import ClusterError, UnknownCommand
from commands.meta import Help, ListClusters, WhoAmI
from commands.parser import normalise, suggest_commands
from commands.read import OnKind
from commands.registry import Action, CommandSpec
from commands.replies import Block, Fields, Heading, Notice, Paragraph, Reply, table
from integrations.cluster.model import ClusterInfo


def _may_run(spec: CommandSpec, ctx: Context) -> bool:
    """Is there any cluster and namespace (and for `get`, any kind) this person may run the
    command for, from here?"""
    of_kinds = issubclass(spec.model, OnKind)
    return ctx.authorise(Request(spec.name, spec.access, ctx.channel, anywhere=True, any_kind=of_kinds)).allowed


def help_(action: Help, ctx: Context) -> Reply:
    if action.topic:
        topic = normalise(action.topic)
        spec = ctx.registry.find(topic)
        if spec is None:
            found = ctx.registry.lookup(topic.split())
            if found is None:
                raise UnknownCommand(topic, suggest_commands(topic.split(), ctx.registry))
            spec = found[0]
        reply = help_text.command_help(spec)
        if not _may_run(spec, ctx):
            note = Notice("info", "The policy does not let you run it here; `whoami` shows what you may do.")
            reply = Reply((*reply.blocks, note))
        return reply
    visible = [s for s in ctx.registry if _may_run(s, ctx)]
    return help_text.overview(visible, hidden=len(ctx.registry) - len(visible))


# --- whoami ----------------------------------------------------------------------------------


def _grant_row(binding: Binding, role: Role, writes_here: bool, ctx: Context) -> list[str]:
    commands = role.commands.describe() + ("" if writes_here else " (reads only here)")
    granted = f"`{binding.name}` (role `{role.name}`{f', owner {role.owner}' if role.owner else ''})"
    return [commands, str(role.clusters), str(role.namespaces), role.limits(), granted]


def _policy_blocks(ctx: Context) -> list[Block]:
    policy = ctx.access.policy.current
    grants = policy.grants(ctx.subject, ctx.channel)
    rows = [_grant_row(b, r, w, ctx) for b, r, w in grants]
    if policy.reads_for_everyone and not ctx.subject.external:
        rows.append(["every read command", "*", "*", "cluster-wide too", "`reads-for-everyone` (the default)"])
    blocks: list[Block] = [Paragraph("What you may do here")]
    if rows:
        blocks.append(table(("COMMANDS", "CLUSTERS", "NAMESPACES", "LIMITS", "GRANTED BY"), rows, limit=30))
    else:
        blocks.append(Notice("info", "Nothing: no binding grants you anything here."))
    denied = policy.denials(ctx.subject, ctx.channel)
    if denied:
        rows = [[f"`{d.name}`", str(d.clusters), str(d.namespaces), d.reason or ""] for d in denied]
        blocks += [
            Paragraph("Denied to you whatever else allows it"),
            table(("RULE", "CLUSTERS", "NAMESPACES", "WHY"), rows, limit=20),
        ]
    return blocks + _approval_blocks(ctx)


def _approval_blocks(ctx: Context) -> list[Block]:
    """The approval rules this person may vote under, asked of `authorise` as a vote would be
    (on someone else's request: one's own never counts unless the rule says so)."""
    policy = ctx.access.policy.current
    rows = []
    for rule in policy.approvals:
        ballot = Request("approve", "meta", ctx.channel, ballot=Ballot(rule.name, requester=""))
        if ctx.authorise(ballot).allowed:
            needs = f"{rule.count} of {', '.join(rule.approvers)}"
            rows.append([f"`{rule.name}`", rule.commands.describe(), str(rule.clusters), str(rule.namespaces), needs])
    if not rows:
        return []
    return [
        Paragraph("You may approve (`approvals` lists what waits)"),
        table(("RULE", "COMMANDS", "CLUSTERS", "NAMESPACES", "NEEDS"), rows, limit=20),
    ]


def _kubernetes_blocks(action: WhoAmI, ctx: Context) -> list[Block]:
    rows = []
    for cluster in ctx.clusters:
        how = "impersonated" if cluster.impersonating is not None else "Pilothouse's own credentials"
        rows.append(
            [cluster.name + (" (default)" if cluster.name == ctx.clusters.default else ""), cluster.identity, how]
        )
    blocks: list[Block] = [Paragraph("Kubernetes sees"), table(("CLUSTER", "IDENTITY", "HOW"), rows, limit=50)]
    if action.cluster is None:
        return blocks
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    try:
        rules = cluster.access_rules(namespace)
    except ClusterError as e:
        return [*blocks, Notice("warning", f"Could not ask `{cluster.name}` what RBAC allows: {e.message}")]
    heading = f"Kubernetes RBAC for `{rules.identity}` in namespace `{namespace}` on `{cluster.name}`"
    rule_rows = [
        [
            ", ".join(r.resources),
            ", ".join(r.verbs),
            ", ".join(g or "core" for g in r.api_groups),
            ", ".join(r.resource_names) or "any",
        ]
        for r in rules.rules
    ]
    blocks += [Paragraph(heading), table(("RESOURCES", "VERBS", "API GROUPS", "NAMES"), rule_rows, limit=40)]
    if rules.incomplete or rules.error:
        blocks.append(
            Notice("warning", f"The cluster's answer is incomplete{f': {rules.error}' if rules.error else ''}.")
        )
    return blocks


def whoami(action: WhoAmI, ctx: Context) -> Reply:
    subject = ctx.subject
    groups = ", ".join(sorted(subject.groups)) or "none"
    holder = ctx.access.policy
    fields = [
        ("You", subject.label),
        ("Groups", groups),
        ("Channel", ctx.where),
        ("Policy", f"{holder.current.source} (generation {holder.generation})"),
    ]
    if subject.external:
        fields.insert(
            1, ("Workspace", f"external ({subject.team or 'unknown team'}): nothing unless the policy grants it")
        )
    blocks: list[Block] = [Heading("Who you are to Pilothouse"), Fields(tuple(fields))]
    blocks += _policy_blocks(ctx)
    blocks += _kubernetes_blocks(action, ctx)
    return Reply(tuple(blocks))


# --- clusters --------------------------------------------------------------------------------


def clusters(action: ListClusters, ctx: Context) -> Reply:
    # Asked in parallel: one unreachable cluster must not hold up the others.
    members = list(ctx.clusters)
    with ThreadPoolExecutor(max_workers=min(8, len(members))) as pool:
        infos: list[ClusterInfo] = list(pool.map(lambda c: c.info(), members))
    rows = [
        [
            info.name + (" (default)" if info.name == ctx.clusters.default else ""),
            "yes" if info.reachable else "NO",
            info.version or "-",
            info.default_namespace,
            info.server if info.reachable else (info.error or "unreachable"),
        ]
        for info in infos
    ]
    blocks: list[Block] = [
        Heading("Clusters"),
        table(("NAME", "REACHABLE", "VERSION", "NAMESPACE", "SERVER"), rows, limit=50),
    ]
    down = [i.name for i in infos if not i.reachable]
    if down:
        blocks.append(Notice("warning", f"Unreachable: {', '.join(down)}."))
    return Reply(tuple(blocks))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    Help: help_,
    WhoAmI: whoami,
    ListClusters: clusters,
}
