"""The embedded store: process memory, for the zero-setup demo only (lost on exit)."""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from integrations.store.port import Change

T = TypeVar("T")


class MemoryStore:
    def __init__(self) -> None:
        self._values: dict[str, tuple[str, float | None]] = {}
        self._streams: dict[str, list[tuple[tuple[int, int], str]]] = {}
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
            existed = self._live(key) is not None or key in self._streams
            self._values.pop(key, None)
            self._streams.pop(key, None)
            return existed

    def stream_add(self, key: str, value: str, *, max_len: int, min_id: str | None = None) -> str:
        with self._lock:
            entries = self._streams.setdefault(key, [])
            now = int(time.time() * 1000)
            last = entries[-1][0] if entries else (0, 0)
            new = (now, 0) if now > last[0] else (last[0], last[1] + 1)
            entries.append((new, value))
            if min_id is not None:
                del entries[: bisect.bisect_left(entries, _bound(min_id, low=True), key=_id)]
            if len(entries) > max_len:
                del entries[: len(entries) - max_len]
            return f"{new[0]}-{new[1]}"

    def stream_range(
        self, key: str, *, start: str = "-", end: str = "+", count: int = 100, newest_first: bool = False
    ) -> list[tuple[str, str]]:
        low, high = _bound(start, low=True), _bound(end, low=False)
        with self._lock:
            entries = self._streams.get(key, [])
            first = bisect.bisect_left(entries, low, key=_id)
            last = bisect.bisect_right(entries, high, key=_id)
            chosen = entries[first:last]
        picked = chosen[::-1][:count] if newest_first else chosen[:count]
        return [(f"{i[0]}-{i[1]}", v) for i, v in picked]


_LAST = 2**64 - 1


def _id(entry: tuple[tuple[int, int], str]) -> tuple[int, int]:
    return entry[0]


def _bound(text: str, *, low: bool) -> tuple[int, int]:
    """An XRANGE bound as (ms, seq): `-`, `+`, `ms`, `ms-seq`, or exclusive `(ms-seq`."""
    if text == "-":
        return (0, 0)
    if text == "+":
        return (_LAST, _LAST)
    exclusive = text.startswith("(")
    ms, sep, seq = text.removeprefix("(").partition("-")
    point = (int(ms), int(seq) if sep else (0 if low else _LAST))
    if not exclusive:
        return point
    if low:
        return (point[0], point[1] + 1) if point[1] < _LAST else (point[0] + 1, 0)
    return (point[0], point[1] - 1) if point[1] > 0 else (point[0] - 1, _LAST)


def _deadline(ttl: float | None) -> float | None:
    if ttl is not None and ttl <= 0:
        raise ValueError("ttl must be positive")
    return None if ttl is None else time.monotonic() + ttl
