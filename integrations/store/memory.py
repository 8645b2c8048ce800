"""The embedded store: process memory, for the zero-setup demo only (lost on exit)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TypeVar

from integrations.store.port import Change

T = TypeVar("T")


class MemoryStore:
    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float | None]] = {}
        self._logs: dict[str, deque[str]] = {}
        self._lock = threading.Lock()

    def ping(self) -> None:
        return None

    def _live(self, key: str) -> str | None:
        entry = self._values.get(key)
        if entry is None:
            return None
        value, expires = entry
        if expires is not None and expires <= time.monotonic():
            del self._values[key]
            return None
        return value

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        with self._lock:
            self._values[key] = (value, _deadline(ttl))

    def update(self, key: str, change: Callable[[str | None], Change[T]]) -> T:
        with self._lock:  # one writer at a time: `change` sees the latest value and nothing moves under it
            decided = change(self._live(key))
            if not decided.keep:
                if decided.value is None:
                    self._values.pop(key, None)
                else:
                    self._values[key] = (decided.value, _deadline(decided.ttl))
            return decided.result

    def delete(self, key: str) -> bool:
        with self._lock:
            existed = self._live(key) is not None or key in self._logs
            self._values.pop(key, None)
            self._logs.pop(key, None)
            return existed

    def take(self, key: str) -> str | None:
        with self._lock:
            value = self._live(key)
            self._values.pop(key, None)
            return value

    def append(self, key: str, value: str, *, keep: int) -> None:
        with self._lock:
            log = self._logs.setdefault(key, deque(maxlen=keep))
            if log.maxlen != keep:
                log = self._logs[key] = deque(log, maxlen=keep)
            log.appendleft(value)

    def recent(self, key: str, count: int) -> list[str]:
        with self._lock:
            return list(self._logs.get(key, ()))[:count]


def _deadline(ttl: float | None) -> float | None:
    if ttl is not None and ttl <= 0:
        raise ValueError("ttl must be positive")
    return None if ttl is None else time.monotonic() + ttl
