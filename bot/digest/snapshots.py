"""The last digest's problems per channel and scope, for "what changed since the last digest"."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from bot.digest.model import Scope, Seen
from integrations.store import keys
from integrations.store.port import Store

KEEP_SECONDS = 90 * 86400  # a channel that got no digest for 90 days starts afresh


@dataclass(frozen=True, slots=True)
class Snapshot:
    at: datetime
    problems: dict[str, Seen]


class Snapshots:
    def __init__(self, store: Store) -> None:
        self._store = store

    @staticmethod
    def _key(place: str, scope: Scope) -> str:
        return keys.key("digest", "snapshot", place, scope.cluster, scope.namespace or "*")  # `*`: the whole cluster

    def get(self, place: str, scope: Scope) -> Snapshot | None:
        raw = self._store.get(self._key(place, scope))
        if raw is None:
            return None
        value = json.loads(raw)
        problems = {key: Seen(obj, text) for key, (obj, text) in value["problems"].items()}
        return Snapshot(datetime.fromisoformat(value["at"]), problems)

    def put(self, place: str, scope: Scope, snapshot: Snapshot) -> None:
        value = {
            "at": snapshot.at.isoformat(),
            "problems": {key: [s.object, s.text] for key, s in snapshot.problems.items()},
        }
        self._store.set(self._key(place, scope), json.dumps(value), ttl=KEEP_SECONDS)
