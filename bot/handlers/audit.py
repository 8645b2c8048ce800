"""`audit`: the trail, newest first, filtered; only records of clusters the person may audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.audit import AuditLog, AuditRecord
from bot.handlers.context import Context
from bot.policy.engine import Request
from bot.policy.subject import named
from commands.audit import AuditQuery, moment
from commands.registry import Action
from commands.replies import Block, Heading, Notice, Reply, table

SCAN_LIMIT = 20_000  # records looked at per query; the time range is narrowed by stream ID first


def _matches(record: AuditRecord, action: AuditQuery) -> bool:
    return (
        record.phase == "result"
        and (action.user is None or record.user == action.user)
        and (action.cluster is None or record.cluster == action.cluster)
        and (action.outcome is None or record.outcome == action.outcome)
    )


def _row(r: AuditRecord) -> list[str]:
    what = " ".join([r.command or "?", *(f"{k}={v}" for k, v in r.args.items())])
    where = f"{r.namespace or '*'}@{r.cluster}" if r.cluster else "-"
    decided = f"{r.decision or '-'} ({r.rule})" if r.rule else (r.decision or "-")
    return [
        r.at.strftime("%Y-%m-%d %H:%M:%S"),
        named(r.user, r.user_name),
        named(r.channel, r.channel_name),
        what,
        where,
        decided,
        r.outcome + (f" {r.k8s_status}" if r.k8s_status else ""),
    ]


def audit(action: AuditQuery, ctx: Context) -> Reply:
    since = moment(action.since, ctx.now)
    allowed: dict[str, bool] = {}

    def may_see(cluster: str | None) -> bool:
        if cluster is None:
            return True
        if cluster not in allowed:
            request = Request("audit", "audit", ctx.channel, cluster, whole_cluster=False)
            allowed[cluster] = ctx.authorise(request).allowed
        return allowed[cluster]

    found: list[AuditRecord] = []
    scanned = hidden = 0
    for record in AuditLog(ctx.shared_store()).between(since, ctx.now, newest_first=True):
        scanned += 1
        if _matches(record, action):
            if may_see(record.cluster):
                found.append(record)
            else:
                hidden += 1
        if len(found) >= action.limit or scanned >= SCAN_LIMIT:
            break
    heading = Heading(f"Audit trail since {since:%Y-%m-%d %H:%M} UTC, newest first")
    if not found:
        blocks: list[Block] = [heading, Notice("info", "No records match.")]
    else:
        columns = ("WHEN (UTC)", "WHO", "WHERE", "COMMAND", "ON", "DECISION", "OUTCOME")
        blocks = [heading, table(columns, [_row(r) for r in found], limit=action.limit)]
    if hidden:
        blocks.append(Notice("info", f"{hidden} record(s) left out: of clusters the policy does not let you audit."))
    if scanned >= SCAN_LIMIT:
        blocks.append(Notice("info", f"Stopped after {SCAN_LIMIT} records: narrow it with --since."))
    return Reply(tuple(blocks))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {AuditQuery: audit}
