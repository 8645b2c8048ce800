"""Each person's defaults: the cluster and namespace a command uses when it names none.

Kept in the shared store without expiry (they are preferences, set with `use`), keyed by the
person's ID, so every replica and every channel sees the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from integrations.store import keys
from integrations.store.port import Store


@dataclass(frozen=True, slots=True)
class Defaults:
    cluster: str | None = None
    namespace: str | None = None


class DefaultsStore:
    def __init__(self, store: Store) -> None:
        self._store = store

    @staticmethod
    def _key(user: str) -> str:
        return keys.key("defaults", user)

    def get(self, user: str) -> Defaults:
        raw = self._store.get(self._key(user))
        if raw is None:
            return Defaults()
        value = json.loads(raw)
        return Defaults(value.get("cluster"), value.get("namespace"))

    def set(self, user: str, defaults: Defaults) -> None:
        self._store.set(self._key(user), json.dumps({"cluster": defaults.cluster, "namespace": defaults.namespace}))

    def clear(self, user: str) -> None:
        self._store.delete(self._key(user))
