"""help, whoami, clusters: about Pilothouse itself, always allowed."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.handlers.context import Context
from bot.policy import Request
from commands import help as help_text
from commands.errors import UnknownCommand
from commands.meta import Help, ListClusters, WhoAmI
from commands.parser import normalise, suggest_commands
from commands.registry import Action, CommandSpec
from commands.replies import Block, Fields, Heading, Notice, Reply, table
from integrations.cluster.model import ClusterInfo


def _allowed_here(spec: CommandSpec, ctx: Context) -> bool:
    """May this person run the command at all here, on the default cluster?"""
    if spec.family == "meta":
        return True
    cluster = ctx.clusters.get(None)
    request = Request(ctx.user, ctx.channel, cluster.name, cluster.default_namespace, spec.name, spec.access)
    return ctx.policy.decide(request).allowed


def help_(action: Help, ctx: Context) -> Reply:
    if action.topic:
        topic = normalise(action.topic)
        spec = ctx.registry.find(topic)
        if spec is None:
            found = ctx.registry.lookup(topic.split())
            if found is None:
                raise UnknownCommand(topic, suggest_commands(topic.split(), ctx.registry))
            spec = found[0]
        return help_text.command_help(spec)
    visible = [s for s in ctx.registry if _allowed_here(s, ctx)]
    return help_text.overview(visible, hidden=len(ctx.registry) - len(visible))


def whoami(action: WhoAmI, ctx: Context) -> Reply:
    cluster = ctx.clusters.get(None)
    namespace = cluster.default_namespace

    def decision(access: str) -> str:
        request = Request(ctx.user, ctx.channel, cluster.name, namespace, "*", access)  # type: ignore[arg-type]
        result = ctx.policy.decide(request)
        return f"{'allowed' if result.allowed else 'denied'} (rule `{result.rule}`)"

    fields = (
        ("You", _named(ctx.message.user_name, ctx.user)),
        ("Channel", _named(ctx.message.channel_name, ctx.channel)),
        ("Default cluster", cluster.name),
        ("Default namespace", namespace),
        ("Kubernetes sees", cluster.identity),
        (f"Reads in {namespace}", decision("read")),
        (f"Changes in {namespace}", decision("write")),
    )
    return Reply((Heading("Who you are to Pilothouse"), Fields(fields)))


def _named(name: str | None, identifier: str) -> str:
    return f"{name} ({identifier})" if name and name != identifier else identifier


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
