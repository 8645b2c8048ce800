"""Deploy locks in the shared store: one key per locked workload, its expiry the key's TTL, every
change of it one `Store.update` (atomic: two people locking at once, one wins).

A per-cluster index (lock key → expiry) lets `locks` list them without scanning the store. The
lock key is the truth, the index only a pointer: it is written before the lock is taken and
cleared after it is given up, so it may name a lock that is gone (skipped), never miss one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime

from bot.locks.record import Lock
from commands.errors import StoreUnavailable
from integrations.store.port import Change, Store


def key(cluster: str, namespace: str | None = None, kind: str = "", name: str = "") -> str:
    """`lock:<cluster>:<namespace>:<kind>/<name>`, or without a namespace the cluster's index
    `locks:<cluster>`. Namespaces and names hold no `:`, so a cluster name with one is no trouble."""
    return f"lock:{cluster}:{namespace}:{kind}/{name}" if namespace is not None else f"locks:{cluster}"


@dataclass(frozen=True, slots=True)
class Taken:
    """What `take` did: `lock` is the lock now; `before`, the one it replaced (extended or stolen)."""

    lock: Lock
    before: Lock | None
    refused: bool = False  # someone else holds it, and this was not a steal


class Locks:
    def __init__(self, store: Store) -> None:
        self.store = store

    def held(self, cluster: str, namespace: str, kind: str, name: str) -> Lock | None:
        """The lock on a workload, for the policy to decide with; a store that cannot say
        refuses the change (fail closed)."""
        try:
            text = self.store.get(key(cluster, namespace, kind, name))
        except StoreUnavailable as e:
            raise StoreUnavailable(
                f"Could not check whether `{name}` is locked, so the change is refused; nothing was changed. "
                f"{e.message}",
                hint=e.hint,
            ) from e
        return (
            None if text is None else Lock.from_json(text, cluster=cluster, namespace=namespace, kind=kind, name=name)
        )

    def take(self, wanted: Lock, *, steal: bool) -> Taken:
        """Lock (or extend one's own lock, or with `steal` take over another's), atomically."""
        lock_key = key(wanted.cluster, wanted.namespace, wanted.kind, wanted.name)
        ttl = (wanted.expires - wanted.since).total_seconds()
        self._index(wanted.cluster, lock_key, wanted.expires, now=wanted.since)

        def decide(current: str | None) -> Change[Taken]:
            before = self._parse(current, wanted)
            if before is not None and before.owner != wanted.owner and not steal:
                return Change.unchanged(Taken(before, before, refused=True))
            lock = wanted
            if before is not None and before.owner == wanted.owner:
                lock = replace(wanted, since=before.since, reason=wanted.reason or before.reason)
            return Change(Taken(lock, before), lock.to_json(), ttl)

        return self.store.update(lock_key, decide)

    def release(
        self, cluster: str, namespace: str, kind: str, name: str, owner: str, *, now: datetime
    ) -> tuple[bool, Lock | None]:
        """Give up `owner`'s lock: (released, the lock found)."""
        lock_key = key(cluster, namespace, kind, name)
        probe = Lock(cluster, namespace, kind, name, "", "", now, now)

        def decide(current: str | None) -> Change[tuple[bool, Lock | None]]:
            found = self._parse(current, probe)
            if found is None or found.owner != owner:
                return Change.unchanged((False, found))
            return Change((True, found))

        released = self.store.update(lock_key, decide)
        if released[0]:
            self._unindex(cluster, lock_key, now=now)
        return released

    def listed(self, cluster: str, now: datetime) -> list[Lock]:
        """The cluster's locks, oldest first: one read for the index, one per lock."""
        found: list[Lock] = []
        for lock_key, expires in sorted(_entries(self.store.get(key(cluster))).items()):
            value = self.store.get(lock_key) if expires > now.timestamp() else None
            if value is None:
                continue
            namespace, _, workload = lock_key.removeprefix(f"lock:{cluster}:").partition(":")
            kind, _, name = workload.partition("/")
            found.append(Lock.from_json(value, cluster=cluster, namespace=namespace, kind=kind, name=name))
        return sorted(found, key=lambda lock: lock.since)

    @staticmethod
    def _parse(current: str | None, like: Lock) -> Lock | None:
        if current is None:
            return None
        return Lock.from_json(current, cluster=like.cluster, namespace=like.namespace, kind=like.kind, name=like.name)

    def _index(self, cluster: str, lock_key: str, expires: datetime, *, now: datetime) -> None:
        def add(current: str | None) -> Change[None]:
            entries = _entries(current)
            entries[lock_key] = max(entries.get(lock_key, 0.0), expires.timestamp())
            return _rewritten(entries, now)

        self.store.update(key(cluster), add)

    def _unindex(self, cluster: str, lock_key: str, *, now: datetime) -> None:
        def drop(current: str | None) -> Change[None]:
            entries = _entries(current)
            if lock_key not in entries:
                return Change.unchanged(None)
            del entries[lock_key]
            return _rewritten(entries, now)

        self.store.update(key(cluster), drop)


def _rewritten(entries: dict[str, float], now: datetime) -> Change[None]:
    """The index without expired entries, living as long as its longest lock (or deleted)."""
    live = {k: v for k, v in entries.items() if v > now.timestamp()}
    if not live:
        return Change(None)
    return Change(None, json.dumps(live, sort_keys=True), max(live.values()) - now.timestamp())


def _entries(text: str | None) -> dict[str, float]:
    if not text:
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}  # a damaged index: the locks themselves still hold; `locks` lists what it can
    return {str(k): float(v) for k, v in data.items()} if isinstance(data, dict) else {}
