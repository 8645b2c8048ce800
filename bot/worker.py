"""The bounded pool that does the work behind an ack.

Chat platforms want an answer within seconds (Slack: 3 s), while a command may take longer.
Adapters acknowledge first and hand the work here. The pool is bounded: when as much work is
running and waiting as `capacity` allows, `submit` says no at once, so the adapter can tell the
person to retry instead of letting work pile up unseen. The executor is a thread pool, or a
process pool (bot/work_pool.py) so the work never competes with the acks for the GIL.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger(__name__)


class Worker:
    def __init__(self, executor: Executor, *, capacity: int) -> None:
        self._executor = executor
        self._capacity = capacity
        self._slots = threading.BoundedSemaphore(capacity)
        self._lock = threading.Lock()
        self._in_flight = 0

    @classmethod
    def threads(cls, *, threads: int, queue: int) -> Worker:
        return cls(
            ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pilothouse-work"), capacity=threads + queue
        )

    @property
    def in_flight(self) -> int:
        """Work running or waiting."""
        return self._in_flight

    @property
    def capacity(self) -> int:
        return self._capacity

    def submit(self, work: Callable[..., Any], *args: Any, on_done: Callable[[Any], None] | None = None) -> bool:
        """Run `work(*args)` soon; False (and nothing queued) when the pool is saturated.

        `on_done` gets the result in this process. For a process pool, `work` and `args` must pickle.
        """
        if not self._slots.acquire(blocking=False):
            return False
        with self._lock:
            self._in_flight += 1
        try:
            future = self._executor.submit(work, *args)
        except RuntimeError:  # shut down
            self._done()
            return False
        future.add_done_callback(lambda f: self._finished(f, on_done))
        return True

    def _finished(self, future: Future[Any], on_done: Callable[[Any], None] | None) -> None:
        try:
            result = future.result()
            if on_done is not None:
                on_done(result)
        except Exception:
            log.exception("work behind an ack failed")
        finally:
            self._done()

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1
        self._slots.release()

    def shutdown(self, *, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
