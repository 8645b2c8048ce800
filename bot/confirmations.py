"""Changes waiting for a `yes`, one per person and channel, kept in the shared store.

A waiting change expires after `CONFIRM_SECONDS`: an old `yes` must never fire a change its
author has forgotten. Any replica can take the answer, and only once (the key is deleted
atomically as it is read).
"""

from __future__ import annotations

import json

from commands.replies import Awaiting
from integrations.store.port import Store

CONFIRM_SECONDS = 120.0


class Confirmations:
    def __init__(self, store: Store, *, ttl: float = CONFIRM_SECONDS) -> None:
        self._store = store
        self._ttl = ttl

    @staticmethod
    def _key(user: str, channel: str) -> str:
        return f"confirm:{channel}:{user}"

    def wait_for(self, user: str, channel: str, awaiting: Awaiting) -> None:
        value = {"command": awaiting.command, "arguments": dict(awaiting.arguments), "summary": awaiting.summary}
        self._store.set(self._key(user, channel), json.dumps(value), ttl=self._ttl)

    def take(self, user: str, channel: str) -> Awaiting | None:
        raw = self._store.take(self._key(user, channel))
        if raw is None:
            return None
        value = json.loads(raw)
        return Awaiting(value["command"], value["arguments"], value["summary"])
