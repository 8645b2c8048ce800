"""Digest schedules: our own data in the shared store, the source of truth for every replica.

All schedules live in one JSON document, changed under a short store lock (read, change,
write), and every change bumps a version key that the leader's scheduler polls to re-sync.
"""

from __future__ import annotations

import json
import secrets
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime

from commands.errors import StoreUnavailable
from integrations.store.port import Store

KEY = "digest:schedules"
VERSION_KEY = "digest:schedules:version"
LOCK_KEY = "digest:schedules:lock"
LOCK_SECONDS = 5.0
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
        raw = self._store.get(KEY)
        return [Schedule(**value) for value in json.loads(raw).values()] if raw else []

    def get(self, schedule_id: str) -> Schedule | None:
        return next((s for s in self.all() if s.id == schedule_id), None)

    def in_channel(self, channel: str) -> list[Schedule]:
        return [s for s in self.all() if s.channel == channel]

    def version(self) -> str | None:
        return self._store.get(VERSION_KEY)

    def add(
        self, *, channel: str, cron: str, tz: str, cluster: str, namespace: str | None, by: str, now: datetime
    ) -> Schedule:
        with self._locked():
            current = {s.id: s for s in self.all()}
            if sum(1 for s in current.values() if s.channel == channel) >= MAX_PER_CHANNEL:
                raise TooMany(channel)
            schedule_id = _new_id(current)
            schedule = Schedule(schedule_id, channel, cron, tz, cluster, namespace, by, now.isoformat())
            current[schedule_id] = schedule
            self._write(current)
        return schedule

    def remove(self, schedule_id: str) -> Schedule | None:
        with self._locked():
            current = {s.id: s for s in self.all()}
            removed = current.pop(schedule_id, None)
            if removed is not None:
                self._write(current)
        return removed

    def _write(self, schedules: dict[str, Schedule]) -> None:
        self._store.set(KEY, json.dumps({i: asdict(s) for i, s in schedules.items()}))
        self._store.set(VERSION_KEY, uuid.uuid4().hex)

    def _locked(self) -> _Lock:
        return _Lock(self._store)


class TooMany(Exception):
    def __init__(self, channel: str) -> None:
        super().__init__(f"{MAX_PER_CHANNEL} digests are already scheduled for {channel}")


def _new_id(taken: dict[str, Schedule]) -> str:
    while True:
        candidate = f"d-{secrets.token_hex(3)}"
        if candidate not in taken:
            return candidate


class _Lock:
    """A short mutual exclusion across replicas: SET NX with expiry, released by its owner."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._token = uuid.uuid4().hex

    def __enter__(self) -> None:
        deadline = time.monotonic() + LOCK_SECONDS
        while not self._store.set_if_absent(LOCK_KEY, self._token, ttl=LOCK_SECONDS):
            if time.monotonic() > deadline:
                raise StoreUnavailable(
                    "Digest schedules are being changed elsewhere and stayed locked; nothing was changed.",
                    hint="Try again in a few seconds.",
                )
            time.sleep(0.02)

    def __exit__(self, *_: object) -> None:
        if self._store.get(LOCK_KEY) == self._token:  # expired meanwhile: another replica's now
            self._store.delete(LOCK_KEY)
