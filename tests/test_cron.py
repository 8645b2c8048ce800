"""Cron expressions: checked in the pure layer, expanded so APScheduler 3.x cannot shift weekdays."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from commands.cron import CronError, parse_cron


def next_fires(expression: str, after: datetime, count: int = 3) -> list[datetime]:
    trigger = CronTrigger(**parse_cron(expression).trigger_fields(), timezone=UTC)
    fires, previous = [], None
    moment = after
    for _ in range(count):
        fire = trigger.get_next_fire_time(previous, moment)
        assert fire is not None
        fires.append(fire)
        previous, moment = fire, fire
    return fires


def test_weekdays_count_from_sunday_as_in_cron() -> None:
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    fires = next_fires("0 9 * * 1-5", saturday)
    assert [f.strftime("%a %H:%M") for f in fires] == ["Mon 09:00", "Tue 09:00", "Wed 09:00"]
    assert parse_cron("0 9 * * 1-5").trigger_fields()["day_of_week"] == "mon,tue,wed,thu,fri"
    # 0 and 7 are both Sunday; names work as in cron
    assert parse_cron("0 0 * * 0").weekdays == parse_cron("0 0 * * 7").weekdays == parse_cron("0 0 * * sun").weekdays


def test_lists_ranges_steps_names_and_macros() -> None:
    cron = parse_cron("*/15 8-18/2 * jan-mar,dec *")
    assert cron.minutes == (0, 15, 30, 45)
    assert cron.hours == (8, 10, 12, 14, 16, 18)
    assert cron.months == (1, 2, 3, 12)
    assert parse_cron("@daily").trigger_fields() == {
        "minute": "0",
        "hour": "0",
        "day": "*",
        "month": "*",
        "day_of_week": "*",
    }
    assert parse_cron("  0   9 * * *  ").text == "0 9 * * *"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("0 9 * *", "`0 9 * *` has 4 fields; a cron expression has 5"),
        ("0 25 * * *", "the hour `25` is out of range: use 0–23"),
        ("61 9 * * *", "the minute `61` is out of range: use 0–59"),
        ("0 9 * * 8", "the day of week `8` is out of range: use 0–7"),
        ("0 9,x * * *", "the hour `9,x` has `x`, which is not a number"),
        ("0 9 * foo *", "the month `foo` is not a number or a name (jan, feb, …)"),
        ("0 18-9 * * *", "has a range `18-9` that runs backwards"),
        ("*/0 9 * * *", "has a step `/0` that must be a whole number of at least 1"),
        ("0 9 1 * 1", "restricts both the day of month (`1`) and the day of week (`1`)"),
    ],
)
def test_bad_expressions_name_the_field_and_what_is_right(expression: str, message: str) -> None:
    with pytest.raises(CronError) as error:
        parse_cron(expression)
    assert message in str(error.value)
