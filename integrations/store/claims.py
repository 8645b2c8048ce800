"""Claims: a key that one caller at a time may hold, with an expiry, built on the store's one
atomic primitive (`Store.update`): deliveries seen, digests fired, short locks."""

from __future__ import annotations

from integrations.store.port import Change, Store


def claim(store: Store, key: str, owner: str, *, ttl: float) -> bool:
    """True if this call took `key` for `owner` (for `ttl` seconds); False if someone holds it."""

    def take(current: str | None) -> Change[bool]:
        return Change(True, owner, ttl) if current is None else Change.unchanged(False)

    return store.update(key, take)


def release(store: Store, key: str, owner: str) -> bool:
    """Give `key` up if `owner` still holds it (it may have expired and been taken by another)."""

    def give_up(current: str | None) -> Change[bool]:
        return Change(True) if current == owner else Change.unchanged(False)

    return store.update(key, give_up)
