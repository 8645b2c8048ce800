"""digest now, schedule, list, off: digests in chat. Schedules are kept in the shared store;
the elected leader's scheduler (integrations/scheduler) posts them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.context import Context
from bot.handlers.format import where
from bot.handlers.lookup import require_namespace
from bot.policy.engine import Request
from bot.policy.explain import refusal
from commands.digest import DigestList, DigestNow, DigestOff, DigestSchedule
from commands.errors import ParseError, PilothouseError
from commands.registry import Action
from commands.replies import Block, Fields, Heading, Notice, Paragraph, Reply, table

WHO_POSTS = "Posted here by Pilothouse connected to Slack (the elected leader among its replicas)."


def digest_now(action: DigestNow, ctx: Context) -> Reply:
    # Imported here: bot.digest builds on bot.handlers (findings, lookup), which lists this module.
    from bot.digest import render, service

    maker = service.DigestMaker(ctx.clusters, ctx.shared_store())  # the clusters as this person sees them
    return render.reply(maker.make(ctx.channel, action.cluster, action.namespace, now=ctx.now))


def _next_run(cron: str, tz: str, ctx: Context) -> str:
    from bot.digest.render import when
    from integrations.scheduler.triggers import next_fire

    fire = next_fire(cron, tz, ctx.now)
    return when(fire) if fire else "never (the expression has no future date)"


def schedule(action: DigestSchedule, ctx: Context) -> Reply:
    from bot.digest.schedules import ScheduleBook, TooMany
    from integrations.scheduler.triggers import time_zone

    zone = time_zone(action.tz).key  # an unknown zone is refused with the closest names
    cluster = ctx.cluster(action.cluster)  # the pipeline has refused unknown clusters already
    if action.namespace is not None:
        require_namespace(cluster, action.namespace)
    try:
        made = ScheduleBook(ctx.shared_store()).add(
            channel=ctx.channel,
            cron=action.cron,
            tz=zone,
            cluster=cluster.name,
            namespace=action.namespace,
            by=ctx.who,
            now=ctx.now,
        )
    except TooMany as e:
        raise PilothouseError(f"{e}.", hint="`digest list` shows them; `digest off ID` stops one.") from None
    fields = (
        ("When", f"`{made.cron}` ({made.tz})"),
        ("Next", _next_run(made.cron, made.tz, ctx)),
        ("Covers", where(made.namespace, made.cluster)),
    )
    return Reply(
        (
            Heading(f"Digest `{made.id}` scheduled for this channel"),
            Fields(fields),
            Paragraph(WHO_POSTS),
            Notice("ok", f"Scheduled. `digest off {made.id}` stops it."),
        )
    )


def list_(action: DigestList, ctx: Context) -> Reply:
    from bot.digest.schedules import ScheduleBook

    mine = sorted(ScheduleBook(ctx.shared_store()).in_channel(ctx.channel), key=lambda s: s.created)
    if not mine:
        return Reply(
            (Notice("info", 'No digest is scheduled for this channel. `digest schedule "0 9 * * 1-5"` adds one.'),)
        )
    rows = [
        (s.id, f"{s.cron} ({s.tz})", where(s.namespace, s.cluster), _next_run(s.cron, s.tz, ctx), s.by) for s in mine
    ]
    blocks: list[Block] = [
        Heading("Digests scheduled for this channel"),
        table(("ID", "WHEN", "COVERS", "NEXT", "BY"), rows, limit=50),
        Paragraph(WHO_POSTS),
    ]
    return Reply(tuple(blocks))


def off(action: DigestOff, ctx: Context) -> Reply:
    from bot.digest.schedules import ScheduleBook

    book = ScheduleBook(ctx.shared_store())
    found = book.get(action.id)
    if found is None or found.channel != ctx.channel:
        elsewhere = " (it belongs to another channel: stop it there)" if found else ""
        raise ParseError(
            f"No digest `{action.id}` is scheduled for this channel{elsewhere}.",
            hint="`digest list` shows this channel's digests and their IDs.",
        )
    # Decided again for the schedule's own cluster and namespace, which only the schedule knows.
    request = Request("digest off", "write", ctx.channel, found.cluster, found.namespace)
    decision = ctx.authorise(request)
    if not decision.allowed:
        raise refusal(decision, request, ctx.access.policy.current)
    book.remove(found.id)
    return Reply((Notice("ok", f"Digest `{found.id}` (`{found.cron}`, {found.tz}) is stopped."),))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    DigestNow: digest_now,
    DigestSchedule: schedule,
    DigestList: list_,
    DigestOff: off,
}
