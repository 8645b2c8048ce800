"""A time budget per request, enforced: the work runs on a thread of its own, and whoever waits
for it stops waiting when the budget is spent.

A thread cannot be killed, so an overrun request is abandoned: the caller answers at once, and
the abandoned thread meets its deadline (integrations/deadline.py) at its next cluster call and
stops there. Abandoned threads are daemons, so they never hold up shutdown; `strays()` counts
those still running, so a worker process can be replaced rather than left running one.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from integrations import deadline

T = TypeVar("T")


class Overrun(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"ran past its budget of {seconds:g} s")
        self.seconds = seconds


class _Outcome(Generic[T]):
    def __init__(self) -> None:
        self.done = threading.Event()
        self.value: T | None = None
        self.error: BaseException | None = None


class Budget:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._strays: set[threading.Thread] = set()
        self._lock = threading.Lock()

    def run(self, work: Callable[[], T]) -> T:
        """`work()`'s result, or Overrun once `seconds` have passed without one."""
        outcome: _Outcome[T] = _Outcome()
        context = contextvars.copy_context()  # the request id and the like go along

        def target() -> None:
            try:
                with deadline.within(self.seconds):
                    outcome.value = work()
            except BaseException as e:  # handed to the caller, who raises it
                outcome.error = e
            finally:
                outcome.done.set()
                with self._lock:
                    self._strays.discard(threading.current_thread())

        thread = threading.Thread(target=context.run, args=(target,), name="pilothouse-request", daemon=True)
        thread.start()
        if not outcome.done.wait(self.seconds):
            with self._lock:
                if not outcome.done.is_set():
                    self._strays.add(thread)
                    raise Overrun(self.seconds)
        if outcome.error is not None:
            raise outcome.error
        return outcome.value  # type: ignore[return-value]

    def strays(self) -> int:
        """Abandoned requests still running."""
        with self._lock:
            return len(self._strays)
