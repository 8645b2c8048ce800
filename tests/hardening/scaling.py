"""Whether work grows linearly with its input: time at n and at 4n, each measured against the
other in the same run (never against a fixed number of seconds, which a noisy machine breaks).

Linear work takes about 4x as long at 4n; quadratic takes 16x and exponential far more. The
bound, 8x, sits between: loose enough for noise and constant costs, tight enough to catch both.
"""

from __future__ import annotations

import time
from collections.abc import Callable

RATIO_BOUND = 8.0
BATCH_SECONDS = 0.02  # repeat a call until a batch takes this long, so tiny inputs are measured too


def per_call(run: Callable[[int], object], n: int, *, batches: int = 5) -> float:
    """The best of `batches` timings of `run(n)`, in seconds per call."""
    repeat = 1
    while True:
        started = time.perf_counter()
        for _ in range(repeat):
            run(n)
        took = time.perf_counter() - started
        if took >= BATCH_SECONDS or repeat >= 1 << 16:
            break
        repeat *= 4
    best = took / repeat
    for _ in range(batches - 1):
        started = time.perf_counter()
        for _ in range(repeat):
            run(n)
        best = min(best, (time.perf_counter() - started) / repeat)
    return best


def growth(run: Callable[[int], object], sizes: tuple[int, int]) -> float:
    small, large = sizes
    return per_call(run, large) / per_call(run, small) * (small * 4 / large)


def grows_linearly(run: Callable[[int], object], sizes: tuple[int, int] = (1000, 4000)) -> bool:
    """True when `run` at the larger size costs at most RATIO_BOUND/4 times more per character.
    Measured up to three times before failing, so a burst of noise on the machine does not fail it
    (super-linear work fails every time)."""
    return any(growth(run, sizes) <= RATIO_BOUND for _ in range(3))
