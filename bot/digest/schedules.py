"""Digest schedules: our own data in the shared store, the source of truth for every replica.

All schedules live in one JSON document, changed with the store's one atomic read-modify-write
(two replicas adding at once both land), and every change bumps a version key that the leader's
scheduler polls to re-sync.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from integrations.store import keys
from integrations.store.port import Change, Store

KEY = keys.key("digest", "schedules")
VERSION_KEY = keys.key("digest", "schedules", "version")
MAX_PER_CHANNEL = 20


@dataclass(frozen=True, slots=True)
class Schedule:
    id: str
    channel: str
    cron: str
    tz: str
    cluster: str
    namespace: str | None
    by: str
    created: str  # ISO 8601


class ScheduleBook:
    def __init__(self, store: Store) -> None:
        self._store = store

    def all(self) -> list[Schedule]:
        return list(_parse(self._store.get(KEY)).values())

    def get(self, schedule_id: str) -> Schedule | None:
        return next((s for s in self.all() if s.id == schedule_id), None)

    def in_channel(self, channel: str) -> list[Schedule]:
        return [s for s in self.all() if s.channel == channel]

    def version(self) -> str | None:
        return self._store.get(VERSION_KEY)

    def add(
        self, *, channel: str, cron: str, tz: str, cluster: str, namespace: str | None, by: str, now: datetime
    ) -> Schedule:
        def add_one(raw: str | None) -> Change[Schedule]:
            current = _parse(raw)
            if sum(1 for s in current.values() if s.channel == channel) >= MAX_PER_CHANNEL:
                raise TooMany(channel)
            schedule_id = _new_id(current)
            schedule = Schedule(schedule_id, channel, cron, tz, cluster, namespace, by, now.isoformat())
            return Change(schedule, _dump({**current, schedule_id: schedule}))

        added = self._store.update(KEY, add_one)
        self._changed()
        return added

    def remove(self, schedule_id: str) -> Schedule | None:
        def remove_one(raw: str | None) -> Change[Schedule | None]:
            current = _parse(raw)
            removed = current.pop(schedule_id, None)
            return Change.unchanged(None) if removed is None else Change(removed, _dump(current))

        removed = self._store.update(KEY, remove_one)
        if removed is not None:
            self._changed()
        return removed

    def _changed(self) -> None:
        self._store.set(VERSION_KEY, uuid.uuid4().hex)  # a hint to re-read: never needs to be atomic with it


def _parse(raw: str | None) -> dict[str, Schedule]:
    return {i: Schedule(**value) for i, value in json.loads(raw).items()} if raw else {}


def _dump(schedules: dict[str, Schedule]) -> str:
    return json.dumps({i: asdict(s) for i, s in schedules.items()})


class TooMany(Exception):
    def __init__(self, channel: str) -> None:
        super().__init__(f"{MAX_PER_CHANNEL} digests are already scheduled for {channel}")


def _new_id(taken: dict[str, Schedule]) -> str:
    while True:
        candidate = f"d-{secrets.token_hex(3)}"
        if candidate not in taken:
            return candidate
