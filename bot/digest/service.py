"""Making a digest for a place (a channel, or the CLI): read, compare with the last one, remember."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.audit import AuditLog
from bot.digest.build import build, collect
from bot.digest.changes import pilothouse_changes
from bot.digest.model import Digest, Scope
from bot.digest.snapshots import Snapshot, Snapshots
from bot.handlers.lookup import require_namespace
from integrations.cluster.clusters import Clusters
from integrations.store.port import Store

FIRST_PERIOD = timedelta(hours=24)  # what the first digest in a place looks back over


class DigestMaker:
    def __init__(self, clusters: Clusters, store: Store) -> None:
        self._clusters = clusters
        self._snapshots = Snapshots(store)
        self._audit = AuditLog(store)

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
        digest = build(
            scope,
            facts,
            now=now,
            since=since,
            previous=previous.problems if previous else None,
            changes=changes,
            late=late,
        )
        self._snapshots.put(place, scope, Snapshot(now, digest.seen()))
        return digest
