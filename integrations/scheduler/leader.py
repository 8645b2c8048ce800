"""Leader election: which replica runs the scheduled jobs.

`RedisLeader` (the default with Redis): a key set with NX and a TTL, extended every TTL/3 by
its holder only (checked and extended in one Lua call; deleted on stopping the same way, so a
stale holder can neither extend nor delete its successor's key). Any failure to extend — the
key gone, taken, or Redis unreachable — ends the leadership at once. `LeaseLeader` (kubernetes_lease.py)
uses a Kubernetes Lease. `SoleLeader` is for a single process with in-memory state.

Neither is fencing: a paused leader may act after its term. Every job run is therefore
guarded as well (SET NX on the job and its fire time; see bot/digest/posting.py).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from typing import Protocol

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from integrations.store import keys
from integrations.store.connection import RedisTarget, connect

log = logging.getLogger(__name__)

Callback = Callable[[], None]

# Extend only while we hold it; 1 if extended.
_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class Leadership(Protocol):
    identity: str

    def start(self, on_started: Callback, on_stopped: Callback) -> None: ...

    def stop(self) -> None:
        """Give the leadership up (calling on_stopped if held) and stop competing."""
        ...

    @property
    def leading(self) -> bool: ...


class SoleLeader:
    """One process, nothing shared: it leads from start to stop."""

    def __init__(self) -> None:
        self.identity = f"sole-{uuid.uuid4().hex[:8]}"
        self._on_stopped: Callback | None = None

    def start(self, on_started: Callback, on_stopped: Callback) -> None:
        self._on_stopped = on_stopped
        on_started()

    def stop(self) -> None:
        if self._on_stopped is not None:
            self._on_stopped()
            self._on_stopped = None

    @property
    def leading(self) -> bool:
        return self._on_stopped is not None


class RedisLeader:
    def __init__(
        self, target: RedisTarget | str, *, key: str = keys.PREFIX + keys.key("leader", "scheduler"), ttl: float = 15.0
    ) -> None:
        self.identity = f"{uuid.uuid4().hex[:12]}"
        # No retries: a leader that cannot extend its key within TTL/3 must give the role up.
        self._redis = connect(RedisTarget.of(target), timeout=ttl / 3, retry=Retry(NoBackoff(), 0))
        self._key = key
        self._ttl_ms = int(ttl * 1000)
        self._interval = ttl / 3
        self._stopping = threading.Event()
        self._leading = False
        self._thread: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self._leading

    def start(self, on_started: Callback, on_stopped: Callback) -> None:
        self._thread = threading.Thread(
            target=self._run, args=(on_started, on_stopped), name="pilothouse-leader", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self._interval + 5)
        self._redis.close()

    def _run(self, on_started: Callback, on_stopped: Callback) -> None:
        while not self._stopping.is_set():
            if self._try(lambda: bool(self._redis.set(self._key, self.identity, nx=True, px=self._ttl_ms))):
                self._lead(on_started, on_stopped)
            self._stopping.wait(self._interval)

    def _lead(self, on_started: Callback, on_stopped: Callback) -> None:
        self._leading = True
        log.info("leader %s: gained leadership", self.identity)
        try:
            try:
                on_started()
            except Exception:  # e.g. the store is down: give the role up, compete again later
                log.exception("leader %s: could not start leading", self.identity)
                return
            while not self._stopping.wait(self._interval):
                if not self._try(lambda: self._extend()):
                    log.warning("leader %s: lost leadership", self.identity)
                    return
        finally:
            self._leading = False
            on_stopped()  # at once: the scheduler must not run a moment longer
            # Handing over: the next leader need not wait for the TTL (a no-op if no longer ours).
            self._try(lambda: bool(self._redis.eval(_RELEASE, 1, self._key, self.identity)))  # type: ignore[no-untyped-call]

    def _extend(self) -> bool:
        extended = self._redis.eval(_EXTEND, 1, self._key, self.identity, self._ttl_ms)  # type: ignore[no-untyped-call]
        return bool(extended == 1)

    def _try(self, call: Callable[[], bool]) -> bool:
        try:
            return call()
        except redis.RedisError as e:
            log.error("leader %s: Redis: %s", self.identity, e)
            return False
