"""The bounded pool that does the work behind an ack.

Chat platforms want an answer within seconds (Slack: 3 s), while a command may take longer.
Adapters acknowledge first and hand the work here. The pool is bounded: when `threads` are
busy and `queue` more are waiting, `submit` says no at once, so the adapter can tell the
person to retry instead of letting work pile up unseen.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, *, threads: int, queue: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pilothouse-work")
        self._capacity = threads + queue
        self._slots = threading.BoundedSemaphore(self._capacity)
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """Work running or waiting."""
        return self._in_flight

    @property
    def capacity(self) -> int:
        return self._capacity

    def submit(self, work: Callable[[], None]) -> bool:
        """Run `work` soon; False (and nothing queued) when the pool is saturated."""
        if not self._slots.acquire(blocking=False):
            return False
        with self._lock:
            self._in_flight += 1
        try:
            self._pool.submit(self._run, work)
        except RuntimeError:  # shut down
            self._done()
            return False
        return True

    def _run(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("work behind an ack failed")
        finally:
            self._done()

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1
        self._slots.release()

    def shutdown(self, *, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
