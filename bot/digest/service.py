"""Making a digest for a place (a channel, or the CLI): read, compare with the last one, remember."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from bot.access import Access
from bot.approvals.book import ApprovalBook
from bot.audit import AuditLog
from bot.digest.approvals import pending_approvals
from bot.digest.build import build, collect
from bot.digest.changes import pilothouse_changes
from bot.digest.model import Digest, Scope
from bot.digest.snapshots import Snapshot, Snapshots
from bot.handlers.lookup import require_namespace
from bot.message import Message
from bot.policy.engine import Request
from bot.policy.explain import refusal
from bot.policy.subject import Subject
from bot.trace import Trace
from commands.errors import PilothouseError
from integrations.cluster.clusters import Clusters
from integrations.store.port import Store

FIRST_PERIOD = timedelta(hours=24)  # what the first digest in a place looks back over


class DigestMaker:
    def __init__(self, clusters: Clusters, store: Store) -> None:
        self._clusters = clusters
        self._snapshots = Snapshots(store)
        self._audit = AuditLog(store)
        self._approvals = ApprovalBook(store)

    def make(
        self, place: str, cluster: str | None, namespace: str | None, *, now: datetime, late: str | None = None
    ) -> Digest:
        """The digest of the cluster (or namespace) now; the next one in `place` is compared with it."""
        target = self._clusters.get(cluster)
        if namespace is not None:
            require_namespace(target, namespace)
        scope = Scope(target.name, namespace)
        facts = collect(target, namespace)
        previous = self._snapshots.get(place, scope)
        since = previous.at if previous else now - FIRST_PERIOD
        changes = pilothouse_changes(self._audit, target.name, namespace, since, now)
        approvals = pending_approvals(self._approvals, scope, since=since, now=now)
        digest = build(
            scope,
            facts,
            now=now,
            since=since,
            previous=previous.problems if previous else None,
            changes=changes,
            approvals=approvals,
            late=late,
        )
        self._snapshots.put(place, scope, Snapshot(now, digest.seen()))
        return digest


class DecidedDigests:
    """Digests made for someone: decided by the policy for them (the one `authorise`), read
    through their cluster views, and audited. Used by a scheduled digest when it fires (for the
    channel it posts to, read as Pilothouse itself) and by `pilothouse digest --print` (for the
    local operator)."""

    def __init__(self, access: Access, store: Store, audit: AuditLog) -> None:
        self._access = access
        self._store = store
        self._audit = audit

    def make(
        self,
        subject: Subject,
        *,
        place: str,
        cluster: str | None,
        namespace: str | None,
        now: datetime,
        late: str | None = None,
        as_bot: bool = False,
        schedule: str | None = None,
    ) -> Digest:
        target = self._access.clusters.get(cluster).name
        request = Request("digest now", "read", place, target, namespace)
        args = {k: v for k, v in (("namespace", namespace), ("schedule", schedule)) if v}
        trace = Trace(uuid.uuid4().hex[:12], time.monotonic(), command="digest now", args=args)
        message = Message(subject.id, place, "", subject.name)
        decision = self._access.authorise(subject, request)
        trace.decided(request, decision)
        if not decision.allowed:
            self._audit.record(trace.record(message, subject, at=now, outcome="denied"))
            raise refusal(decision, request, self._access.policy.current)
        gate = self._access.gate(subject, request)
        views = self._access.views(subject, gate, as_bot=as_bot)
        trace.k8s_identity = views.get(target).identity
        try:
            digest = DigestMaker(views, self._store).make(place, target, namespace, now=now, late=late)
        except PilothouseError as e:
            self._audit.record(trace.record(message, subject, at=now, outcome="failed", error=type(e).__name__))
            raise
        self._audit.record(trace.record(message, subject, at=now, outcome="ok"))
        return replace(digest, hidden=len(gate.hidden))
