"""Approval requests for the digest, from the approval book: how many wait in the digest's scope,
the oldest of them, and how many expired unanswered in its period."""

from __future__ import annotations

from datetime import datetime

from bot.approvals.book import ApprovalBook
from bot.approvals.record import ApprovalRecord
from bot.digest.model import Approvals, Scope, Waiting


def pending_approvals(book: ApprovalBook, scope: Scope, *, since: datetime, now: datetime) -> Approvals:
    records = [r for r in book.all() if _in_scope(r, scope) and not r.requirement.is_confirmation]
    # A request past its expiry that nobody has looked at since is expired all the same.
    waiting = sorted((r for r in records if r.state == "pending" and not r.expired_at(now)), key=lambda r: r.created)
    expired = [r for r in records if (r.state == "expired" or r.expired_at(now)) and since <= r.expires <= now]
    oldest = Waiting(waiting[0].id, waiting[0].created, waiting[0].command_line) if waiting else None
    return Approvals(pending=len(waiting), oldest=oldest, expired=len(expired))


def _in_scope(record: ApprovalRecord, scope: Scope) -> bool:
    return record.cluster == scope.cluster and scope.namespace in (None, record.namespace)
