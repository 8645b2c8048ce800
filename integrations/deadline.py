"""The time left for the request being handled, for everything it calls.

The pipeline sets a deadline before it handles a message; every request to a cluster checks it
first and waits no longer than the time left. So a request the pipeline has given up on (see
bot/budget.py) stops at its next call instead of going on with a change nobody waits for.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

from commands.errors import TimedOut

_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("deadline", default=None)


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Everything in the block must be done within `seconds` (monotonic clock)."""
    token = _deadline.set((time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


def check() -> None:
    """Raise TimedOut when the request being handled is past its deadline."""
    current = _deadline.get()
    if current is not None and time.monotonic() >= current[0]:
        raise TimedOut(current[1])


def remaining(longest: float) -> float:
    """Seconds a call may still wait: `longest`, or less when the deadline is nearer (check() first)."""
    current = _deadline.get()
    if current is None:
        return longest
    return max(0.001, min(longest, current[0] - time.monotonic()))
