"""lock, unlock, locks: deploy locks, kept in the shared store (bot/locks). Whether a lock
stops a change was decided before any handler runs (`Policy.authorise` got it in the
request); these only take, give up and list locks, each one atomic store update."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot.handlers.context import Context
from bot.handlers.describe import fetch
from bot.handlers.format import where
from bot.locks import Lock, Locks
from bot.policy.engine import DEPLOY_LOCK, Request
from commands.errors import PolicyDenied
from commands.locks import ListLocks, Locking, Unlock
from commands.locks import Lock as LockAction
from commands.registry import Action
from commands.replies import Block, Fields, Heading, Notice, Paragraph, Reply, table
from commands.values import duration_text
from integrations.cluster import resources


def _workload(action: Locking, ctx: Context) -> tuple[str, str, str, str]:
    """(cluster, namespace, kind, name) of a workload that exists: a typo is not locked."""
    cluster = ctx.cluster(action.cluster)
    namespace = action.namespace or cluster.default_namespace
    kind, name = action.target
    fetch(cluster, resources.WORKLOADS[kind], namespace, name)
    return cluster.name, namespace, kind, name


def _until(lock: Lock, now: datetime) -> str:
    return f"{lock.expires:%Y-%m-%d %H:%M} UTC (in {duration_text((lock.expires - now).total_seconds())})"


def _held_by_other(lock: Lock, now: datetime) -> PolicyDenied:
    """Someone took it between the policy's look and ours (the lock is decided atomically here)."""
    why = f": {lock.reason}" if lock.reason else ""
    return PolicyDenied(
        f"`{lock.ref}` is locked by {lock.label} (for {duration_text((now - lock.since).total_seconds())}){why}.",
        rule=DEPLOY_LOCK,
        hint=f"`lock {lock.ref} --steal` takes it over, if the policy lets you.",
    )


def lock(action: LockAction, ctx: Context) -> Reply:
    cluster, namespace, kind, name = _workload(action, ctx)
    now = ctx.now
    wanted = Lock(
        cluster, namespace, kind, name, ctx.user, ctx.who, now, now + timedelta(seconds=action.seconds), action.reason
    )
    taken = Locks(ctx.shared_store()).take(wanted, steal=action.steal)
    if taken.refused:
        raise _held_by_other(taken.lock, now)
    held, before = taken.lock, taken.before
    place = where(namespace, cluster)
    if before is not None and before.owner == ctx.user:
        heading = f"Extended your lock on `{held.ref}` in {place}"
    elif before is not None:
        heading = f"Took over the lock on `{held.ref}` in {place} from {before.label}"
    else:
        heading = f"Locked `{held.ref}` in {place}"
    fields = [("Owner", held.label), ("Reason", held.reason or "(none given)"), ("Until", _until(held, now))]
    if before is not None and before.owner != ctx.user:
        was = f"{before.label} for {duration_text((now - before.since).total_seconds())}"
        fields.append(("Was held by", was + (f": {before.reason}" if before.reason else "")))
    blocks: list[Block] = [Heading(heading), Fields(tuple(fields))]
    if action.steal and (before is None or before.owner == ctx.user):
        blocks.append(Notice("info", "Nobody else held it: `--steal` was not needed."))
    blocks.append(Paragraph(f"Changes to it by anyone else are refused until `unlock {held.ref}` or the expiry."))
    return Reply(tuple(blocks))


def unlock(action: Unlock, ctx: Context) -> Reply:
    cluster, namespace, kind, name = _workload(action, ctx)
    released, found = Locks(ctx.shared_store()).release(cluster, namespace, kind, name, ctx.user, now=ctx.now)
    ref = action.name
    if found is None:
        text = f"`{ref}` in {where(namespace, cluster)} is not locked; nothing to do."
        return Reply((Notice("info", text),), effect="nothing")
    if not released:
        raise _held_by_other(found, ctx.now)
    held = duration_text((ctx.now - found.since).total_seconds())
    return Reply((Notice("ok", f"Unlocked `{found.ref}` in {where(namespace, cluster)} (you held it {held})."),))


def _may_read(ctx: Context, cluster: str, namespace: str) -> bool:
    return ctx.authorise(Request("locks", "read", ctx.channel, cluster, namespace)).allowed


def locks(action: ListLocks, ctx: Context) -> Reply:
    cluster = ctx.cluster(action.cluster)
    namespace = None if action.all_namespaces else action.namespace or cluster.default_namespace
    now = ctx.now
    found = [
        lock
        for lock in Locks(ctx.shared_store()).listed(cluster.name, now)
        if lock.live(now) and (namespace is None or lock.namespace == namespace)
    ]
    if namespace is None:  # -A: only the namespaces this person may read locks in
        found = [lock for lock in found if _may_read(ctx, cluster.name, lock.namespace)]
    place = where(namespace, cluster.name)
    if not found:
        return Reply(
            (
                Notice("info", f"No deploy locks in {place}."),
                Paragraph("`lock APP --for 2h --reason TEXT` keeps a workload for you."),
            )
        )
    rows = [
        [
            lock.ref,
            *([lock.namespace] if namespace is None else []),
            lock.label,
            lock.reason or "-",
            duration_text((now - lock.since).total_seconds()),
            _until(lock, now),
        ]
        for lock in found
    ]
    columns = ("APP", *(("NAMESPACE",) if namespace is None else ()), "OWNER", "REASON", "AGE", "EXPIRES")
    return Reply((Heading(f"Deploy locks in {place}"), table(columns, rows, limit=50)))


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {
    LockAction: lock,
    Unlock: unlock,
    ListLocks: locks,
}
