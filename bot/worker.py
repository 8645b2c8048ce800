"""The bounded pool that does the work behind an ack.

Chat platforms want an answer within seconds (Slack: 3 s), while a command may take longer.
Adapters acknowledge first and hand the work here. The pool is bounded: when as much work is
running and waiting as `capacity` allows, `submit` says no at once, so the adapter can tell the
person to retry instead of letting work pile up unseen. The executor is a thread pool, or a
process pool (bot/work_pool.py) so the work never competes with the acks for the GIL.

With `settle`, acks also come before work in time: work handed over in a burst is held until
no new work has arrived for `settle` seconds (or the oldest has waited `max_hold`), so on a
small machine a flood of requests is acknowledged first, at full speed, and worked off after.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Callbacks:
    on_done: Callable[[Any], None] | None = None
    on_error: Callable[[BaseException], None] | None = None


class Worker:
    def __init__(self, executor: Executor, *, capacity: int, settle: float = 0.0, max_hold: float = 1.0) -> None:
        self._executor = executor
        self._capacity = capacity
        self._slots = threading.BoundedSemaphore(capacity)
        self._lock = threading.Lock()
        self._in_flight = 0
        self._settle = settle
        self._max_hold = max_hold
        self._held: list[tuple[Callable[..., Any], tuple[Any, ...], _Callbacks]] = []
        self._first_held = 0.0
        self._last_held = 0.0
        self._wake = threading.Condition(self._lock)
        self._closed = False
        if settle > 0:
            threading.Thread(target=self._release_held, name="pilothouse-settle", daemon=True).start()

    @classmethod
    def threads(cls, *, threads: int, queue: int, settle: float = 0.0) -> Worker:
        executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pilothouse-work")
        return cls(executor, capacity=threads + queue, settle=settle)

    @property
    def in_flight(self) -> int:
        """Work running or waiting."""
        return self._in_flight

    @property
    def capacity(self) -> int:
        return self._capacity

    def submit(
        self,
        work: Callable[..., Any],
        *args: Any,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> bool:
        """Run `work(*args)` soon; False (and nothing queued) when the pool is saturated.

        `on_done` gets the result in this process, `on_error` the exception if it failed (else it
        is logged). For a process pool, `work` and `args` must pickle.
        """
        callbacks = _Callbacks(on_done, on_error)
        if not self._slots.acquire(blocking=False):
            return False
        with self._lock:
            self._in_flight += 1
            if self._settle > 0 and not self._closed:
                now = time.monotonic()
                if not self._held:
                    self._first_held = now
                self._last_held = now
                self._held.append((work, args, callbacks))
                self._wake.notify()
                return True
        return self._start(work, args, callbacks)

    def _start(self, work: Callable[..., Any], args: tuple[Any, ...], callbacks: _Callbacks) -> bool:
        try:
            future = self._executor.submit(work, *args)
        except RuntimeError:  # shut down
            self._done()
            return False
        future.add_done_callback(lambda f: self._finished(f, callbacks))
        return True

    def _release_held(self) -> None:
        """Start held work once the burst is over: quiet for `settle`, or held too long."""
        while True:
            with self._lock:
                while not self._held and not self._closed:
                    self._wake.wait()
                if self._closed and not self._held:
                    return
                now = time.monotonic()
                due = min(self._last_held + self._settle, self._first_held + self._max_hold)
                if now < due and not self._closed:
                    self._wake.wait(due - now)
                    continue
                batch, self._held = self._held, []
            for work, args, callbacks in batch:
                self._start(work, args, callbacks)

    def _finished(self, future: Future[Any], callbacks: _Callbacks) -> None:
        try:
            try:
                result = future.result()
            except Exception as e:
                if callbacks.on_error is None:
                    raise
                callbacks.on_error(e)
            else:
                if callbacks.on_done is not None:
                    callbacks.on_done(result)
        except Exception:
            log.exception("work behind an ack failed")
        finally:
            self._done()

    def _done(self) -> None:
        with self._lock:
            self._in_flight -= 1
        self._slots.release()

    def shutdown(self, *, wait: bool = True) -> None:
        with self._lock:
            self._closed = True  # held work is started, not dropped
            self._wake.notify()
            held, self._held = self._held, []
        for work, args, callbacks in held:
            self._start(work, args, callbacks)
        self._executor.shutdown(wait=wait, cancel_futures=not wait)
