"""freezes: the policy's change freezes that are on now or start within 7 days, with their
scope, effect, and start and end in their own time zone and in UTC."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.context import Context
from bot.policy.freezes import Freeze
from bot.policy.windows import Occurrence, shown
from commands.freezes import ListFreezes
from commands.registry import Action
from commands.replies import Block, Heading, Notice, Paragraph, Reply, table


def _row(freeze: Freeze, window: Occurrence, state: str) -> list[str]:
    return [
        freeze.name,
        state,
        shown(window.start, window.zone),
        shown(window.end, window.zone),
        freeze.effect_text(),
        freeze.scope(),
        freeze.reason,
    ]


def freezes(action: ListFreezes, ctx: Context) -> Reply:
    policy = ctx.access.policy.current
    if not policy.freezes:
        return Reply(
            (
                Notice("info", f"No change freezes are declared in the policy ({policy.source})."),
                Paragraph(
                    "To add one, give the policy file (PILOTHOUSE_POLICY_FILE) a `freezes:` section: a name, a "
                    "reason, where (clusters, namespaces, apps), when (`cron` + `duration` + `timezone`, or "
                    "`start`/`end`), and `effect: deny` or `approval`. examples/policy.yaml has one."
                ),
            )
        )
    now = ctx.now
    rows: list[list[str]] = []
    quiet: list[str] = []
    for freeze in policy.freezes:
        active = freeze.active(now)
        found = [_row(freeze, active, "ON NOW")] if active is not None else []
        found += [_row(freeze, o, "upcoming") for o in freeze.upcoming(now) if active is None or o.start >= active.end]
        rows += found
        if not found:
            quiet.append(f"`{freeze.name}`")
    blocks: list[Block] = [Heading(f"Change freezes (now: {now:%Y-%m-%d %H:%M} UTC; the next 7 days)")]
    if rows:
        blocks.append(table(("FREEZE", "STATE", "FROM", "UNTIL", "EFFECT", "SCOPE", "REASON"), rows, limit=50))
    else:
        blocks.append(Notice("info", "No freeze is on now or starts in the next 7 days."))
    if quiet:
        blocks.append(Paragraph("Not on in the next 7 days: " + ", ".join(quiet) + "."))
    if any(r[1] == "ON NOW" for r in rows):
        blocks.append(
            Paragraph("A change a deny freeze stops may ask its break-glass approvers: `--break-glass --reason TEXT`.")
        )
    return Reply(tuple(blocks))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {ListFreezes: freezes}
