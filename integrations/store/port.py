"""The `Store` port: the few operations Pilothouse's shared state needs.

Small on purpose, so the embedded store can honour exactly the same contract as Redis
(the contract tests run one suite against both). Values are strings; callers serialise.
Every method raises `commands.errors.StoreUnavailable` when the store cannot be used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Change(Generic[T]):
    """What an `update` decided: the key's new value (None: delete it; `keep`: leave it as it
    is, expiry too), its expiry in seconds (None: none), and what `update` returns."""

    result: T
    value: str | None = None
    ttl: float | None = None
    keep: bool = False

    @classmethod
    def unchanged(cls, result: T) -> Change[T]:
        return cls(result, keep=True)


class Store(Protocol):
    def ping(self) -> None: ...

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, *, ttl: float | None = None) -> None: ...

    def update(self, key: str, change: Callable[[str | None], Change[T]]) -> T:
        """The one atomic read-modify-write, for every claim, lock and vote: `change` is given
        the key's value (None when absent) and decides the new one, and the write happens only
        if nothing else wrote the key meanwhile; else `change` is asked again with the newer
        value. So `change` must only compute (it may run more than once) and must not use the
        store. An exception from it leaves the key as it was and is raised here."""
        ...

    def delete(self, key: str) -> bool: ...

    # --- streams: append-only logs with time-ordered IDs (Redis Streams) ---------------------

    def stream_add(self, key: str, value: str, *, max_len: int, min_id: str | None = None) -> str:
        """Append `value`; return its ID (`<milliseconds>-<sequence>`, always increasing).

        Trimmed as Redis trims with `~`: at least the newest `max_len` entries are kept, and
        entries older than `min_id` go; an approximate trim may keep a few more of either.
        """
        ...

    def stream_range(
        self, key: str, *, start: str = "-", end: str = "+", count: int = 100, newest_first: bool = False
    ) -> list[tuple[str, str]]:
        """Up to `count` (ID, value) entries with start <= ID <= end, oldest first (or newest
        first). `-` and `+` are the ends; a bare `<ms>` covers that whole millisecond; an
        exclusive bound starts with `(`, as in XRANGE."""
        ...
