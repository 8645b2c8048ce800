"""The fuzz suite at length: every target of tests/hardening/fuzzing.py over many generated
inputs, each input timed, then the search for super-linear shapes over repeated units.

Prints, per target: cases run, the worst and the p99 time per input, and how many inputs went
over the target's budget (must be 0); then the worst growth of cost from n to 4n characters over
the units tried (linear is about 1.0, quadratic 4.0; the test's bound is 2.0).

    .venv/bin/python bench/fuzz.py [--cases 100000] [--units 60]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.hardening import fuzzing
from tests.hardening.scaling import growth

# (name, strategy, the target, budget per input in seconds, share of the cases)
TARGETS: list[tuple[str, Any, Callable[[], Callable[[Any], None]], float, float]] = [
    ("parser", fuzzing.CHAT_TEXT, lambda: fuzzing.parse_target, 0.05, 0.25),
    ("pipeline (demo cluster)", fuzzing.CHAT_TEXT, fuzzing.pipeline_target, 0.5, 0.30),
    ("Slack text unescaping", fuzzing.SLACK_TEXT, lambda: fuzzing.slack_text_target, 0.05, 0.15),
    ("request bodies", st.tuples(fuzzing.BODIES, fuzzing.CONTENT_TYPES), lambda: fuzzing.body_target, 0.05, 0.15),
    ("Slack listeners", fuzzing.PAYLOADS, fuzzing.listeners_target, 0.05, 0.15),
]
SCALED: list[tuple[str, Callable[[], Callable[[str], None]], tuple[int, int]]] = [
    ("parser", lambda: fuzzing.parse_target, (1000, 4000)),
    ("pipeline (demo cluster)", fuzzing.pipeline_target, (1000, 4000)),
    ("Slack text unescaping", lambda: lambda text: fuzzing.slack_text_target([text]), (4000, 16000)),
]


def run_target(strategy: Any, target: Callable[[Any], None], cases: int) -> list[float]:
    times: list[float] = []

    @settings(
        max_examples=cases,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def one(value: Any) -> None:
        started = time.perf_counter()
        target(value)
        times.append(time.perf_counter() - started)

    one()
    return times


def worst_growth(target: Callable[[str], None], sizes: tuple[int, int], units: int) -> tuple[float, str]:
    worst: tuple[float, str] = (0.0, "")

    @settings(
        max_examples=units,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(fuzzing.UNIT)
    def one(unit: list[str]) -> None:
        nonlocal worst
        text = "".join(unit)
        ratio = growth(lambda n: target((text * (n // len(text) + 1))[:n]), sizes) / 4
        worst = max(worst, (ratio, text))

    one()
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000, help="inputs in all, shared among the targets")
    parser.add_argument("--units", type=int, default=60, help="repeated units tried per target for growth")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)  # incomplete payloads are logged, by design: thousands of lines here

    print(f"{'target':<26} {'cases':>8} {'worst':>9} {'p99':>9} {'median':>9} {'budget':>8} {'over':>5}")
    total, over_all = 0, 0
    started = time.monotonic()
    for name, strategy, make, budget, share in TARGETS:
        times = run_target(strategy, make(), max(1, int(args.cases * share)))
        over = sum(1 for t in times if t > budget)
        total, over_all = total + len(times), over_all + over
        p99 = statistics.quantiles(times, n=100)[98] if len(times) >= 100 else max(times)
        print(
            f"{name:<26} {len(times):>8,} {max(times) * 1000:>7.2f}ms {p99 * 1000:>7.3f}ms "
            f"{statistics.median(times) * 1000:>7.3f}ms {budget * 1000:>6.0f}ms {over:>5}"
        )
    print(f"{'all':<26} {total:>8,}   inputs over budget: {over_all}   ({time.monotonic() - started:.0f} s)")
    print()
    print(f"growth of cost per character from n to 4n, worst of {args.units} repeated units (linear ≈ 1, bound 2)")
    for name, make, sizes in SCALED:
        ratio, unit = worst_growth(make(), sizes, args.units)
        print(f"{name:<26} {ratio:>5.2f}  (n = {sizes[0]:,} → {sizes[1]:,}; worst unit {unit[:24]!r})")
    return 1 if over_all else 0


if __name__ == "__main__":
    sys.exit(main())
