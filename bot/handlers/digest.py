"""digest now (and, with the scheduler, schedule, list, off): digests in chat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.context import Context
from commands.digest import DigestNow
from commands.registry import Action
from commands.replies import Reply


def digest_now(action: DigestNow, ctx: Context) -> Reply:
    # Imported here: bot.digest builds on bot.handlers (findings, lookup), which lists this module.
    from bot.digest import render, service

    maker = service.DigestMaker(ctx.clusters, ctx.shared_store())
    return render.both(maker.make(ctx.channel, action.cluster, action.namespace, now=ctx.now))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    DigestNow: digest_now,
}
