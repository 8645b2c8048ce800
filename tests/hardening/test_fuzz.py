"""Property-based fuzzing (a short run; `python bench/fuzz.py` runs 100,000+ cases and prints its
figures): for every input, no exception that is not ours, a time per input under a budget
(hypothesis' `deadline`), and no shape whose cost grows faster than its length."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hardening import fuzzing
from tests.hardening.scaling import grows_linearly

QUICK = settings(max_examples=300, deadline=timedelta(milliseconds=250), database=None)
SLOW = settings(
    max_examples=120,
    deadline=timedelta(milliseconds=1000),
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
SCALING = settings(max_examples=12, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
PIPELINE = fuzzing.pipeline_target()
LISTENERS = fuzzing.listeners_target()


@QUICK
@given(fuzzing.CHAT_TEXT)
def test_the_parser_raises_only_its_own_errors(text: str) -> None:
    fuzzing.parse_target(text)


@SLOW
@given(fuzzing.CHAT_TEXT)
def test_the_whole_pipeline_never_fails_inside(text: str) -> None:
    PIPELINE(text)


@QUICK
@given(fuzzing.SLACK_TEXT)
def test_slack_text_unescaping_takes_anything(parts: list[str]) -> None:
    fuzzing.slack_text_target(parts)


@QUICK
@given(st.tuples(fuzzing.BODIES, fuzzing.CONTENT_TYPES))
def test_request_bodies_are_read_or_refused(case: tuple[bytes, str]) -> None:
    fuzzing.body_target(case)


@QUICK
@given(fuzzing.PAYLOADS)
def test_the_slack_listeners_take_any_payload(body: dict[str, Any]) -> None:
    LISTENERS(body)


def _repeated(unit: list[str], n: int) -> str:
    text = "".join(unit)
    return (text * (n // len(text) + 1))[:n]


@SCALING
@given(fuzzing.UNIT)
def test_no_repeated_shape_costs_the_parser_more_than_linear_time(unit: list[str]) -> None:
    assert grows_linearly(lambda n: fuzzing.parse_target(_repeated(unit, n))), "".join(unit)


@SCALING
@given(fuzzing.UNIT)
def test_no_repeated_shape_costs_the_pipeline_more_than_linear_time(unit: list[str]) -> None:
    assert grows_linearly(lambda n: PIPELINE(_repeated(unit, n))), "".join(unit)


@SCALING
@given(fuzzing.UNIT)
def test_no_repeated_shape_costs_slack_unescaping_more_than_linear_time(unit: list[str]) -> None:
    assert grows_linearly(lambda n: fuzzing.slack_text_target([_repeated(unit, n)]), sizes=(4000, 16000))
