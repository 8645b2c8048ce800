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

    def append(self, key: str, value: str, *, keep: int) -> None:
        """Add to a log that keeps only the newest `keep` entries."""
        ...

    def recent(self, key: str, count: int) -> list[str]:
        """The newest `count` entries of a log, newest first."""
        ...
