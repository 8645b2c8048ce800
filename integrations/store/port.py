"""The `Store` port: the few operations Pilothouse's shared state needs.

Small on purpose, so the embedded store can honour exactly the same contract as Redis
(the contract tests run one suite against both). Values are strings; callers serialise.
Every method raises `commands.errors.StoreUnavailable` when the store cannot be used.
"""

from __future__ import annotations

from typing import Protocol


class Store(Protocol):
    def ping(self) -> None: ...

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, *, ttl: float | None = None) -> None: ...

    def set_if_absent(self, key: str, value: str, *, ttl: float) -> bool:
        """Atomic SET NX with expiry: True if this call stored the value (dedupe, locks)."""
        ...

    def delete(self, key: str) -> bool: ...

    def take(self, key: str) -> str | None:
        """Get and delete atomically: of several callers, only one gets the value."""
        ...

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
