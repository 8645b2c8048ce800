"""The production store: Redis, shared by every replica, kept across restarts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import redis

from commands.errors import StoreUnavailable
from integrations.redact import redact_text
from integrations.store import keys
from integrations.store.connection import RedisTarget, connect
from integrations.store.port import Change

T = TypeVar("T")
U = TypeVar("U")


class RedisStore:
    def __init__(self, target: RedisTarget | str, *, prefix: str = keys.PREFIX, timeout: float = 2.0) -> None:
        target = RedisTarget.of(target)
        self._where = target.where
        self._prefix = prefix
        self._redis = connect(target, timeout=timeout, decode_responses=True)

    def _call(self, operation: Callable[[], T]) -> T:
        try:
            return operation()
        except redis.RedisError as e:
            raise StoreUnavailable(
                f"The state store at {self._where} cannot be used: {type(e).__name__}: {redact_text(str(e))}",
                hint="Check that Redis is running and PILOTHOUSE_REDIS_URL (and PILOTHOUSE_REDIS_SENTINELS) are right.",
            ) from e

    def _key(self, key: str) -> str:
        return self._prefix + key

    def ping(self) -> None:
        self._call(self._redis.ping)

    def get(self, key: str) -> str | None:
        return self._call(lambda: self._redis.get(self._key(key)))

    def set(self, key: str, value: str, *, ttl: float | None = None) -> None:
        self._call(lambda: self._redis.set(self._key(key), value, px=_millis(ttl)))

    def update(self, key: str, change: Callable[[str | None], Change[U]]) -> U:
        """Optimistic: WATCH the key, read it, decide, and write in MULTI/EXEC, which Redis refuses
        if the key was written meanwhile; then read and decide again."""
        name = self._key(key)

        def attempt() -> U:
            with self._redis.pipeline() as pipe:
                while True:
                    try:
                        pipe.watch(name)
                        decided = change(pipe.get(name))  # type: ignore[arg-type]
                        if decided.keep:
                            pipe.unwatch()
                            return decided.result
                        pipe.multi()
                        if decided.value is None:
                            pipe.delete(name)
                        else:
                            pipe.set(name, decided.value, px=_millis(decided.ttl))
                        pipe.execute()
                        return decided.result
                    except redis.WatchError:
                        continue  # written meanwhile: decide again on the newer value

        return self._call(attempt)

    def delete(self, key: str) -> bool:
        return bool(self._call(lambda: self._redis.delete(self._key(key))))

    def stream_add(self, key: str, value: str, *, max_len: int, min_id: str | None = None) -> str:
        def add() -> str:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.xadd(self._key(key), {"v": value}, maxlen=max_len, approximate=True)
                if min_id is not None:
                    pipe.xtrim(self._key(key), minid=min_id, approximate=True)
                return str(pipe.execute()[0])

        return self._call(add)

    def stream_range(
        self, key: str, *, start: str = "-", end: str = "+", count: int = 100, newest_first: bool = False
    ) -> list[tuple[str, str]]:
        def read() -> list[tuple[str, str]]:
            if newest_first:
                found = self._redis.xrevrange(self._key(key), max=end, min=start, count=count)
            else:
                found = self._redis.xrange(self._key(key), min=start, max=end, count=count)
            return [(str(entry_id), str(fields.get("v", ""))) for entry_id, fields in found]

        return self._call(read)

    def close(self) -> None:
        self._redis.close()


def _millis(ttl: float | None) -> int | None:
    if ttl is None:
        return None
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    return max(1, int(ttl * 1000))
