"""Five-field crontab expressions, checked with errors that say which field is wrong and why.

Pure: the scheduler (APScheduler 3.x) gets the fields already expanded, because its
`CronTrigger.from_crontab` counts weekdays from Monday=0 while cron counts from Sunday=0
(APScheduler issue #286): `1-5` would silently mean Tuesday to Saturday. Expanding here to
weekday *names* removes the trap.
"""

from __future__ import annotations

from dataclasses import dataclass

from commands.limits import CRON_CHARS, shown, too_long

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
MACROS = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # accepted names, numbered from `low`
    example: str = ""


_FIELDS = (
    _Field("minute", 0, 59, example="0, */15, 0,30"),
    _Field("hour", 0, 23, example="9, 8-18, */2"),
    _Field("day of month", 1, 31, example="1, 1-7, 15"),
    _Field("month", 1, 12, MONTHS, example="1, jan-mar, */3"),
    # 7 is Sunday too, as in cron
    _Field("day of week", 0, 7, (*WEEKDAYS, "sun"), example="1-5, mon-fri, 0,6"),
)


class CronError(ValueError):
    """A cron expression that cannot be used; the message names the field and what would be right."""


@dataclass(frozen=True, slots=True)
class Cron:
    """A checked expression: the text as given, and each field as the sorted values it allows."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: tuple[int, ...]
    months: tuple[int, ...]
    weekdays: tuple[int, ...]  # 0 = Sunday … 6 = Saturday

    def trigger_fields(self) -> dict[str, str]:
        """Keyword arguments for APScheduler 3.x `CronTrigger`: weekdays by name, never by number."""

        def listed(values: tuple[int, ...], full: range) -> str:
            return "*" if values == tuple(full) else ",".join(str(v) for v in values)

        return {
            "minute": listed(self.minutes, range(60)),
            "hour": listed(self.hours, range(24)),
            "day": listed(self.days, range(1, 32)),
            "month": listed(self.months, range(1, 13)),
            "day_of_week": "*" if len(self.weekdays) == 7 else ",".join(WEEKDAYS[d] for d in self.weekdays),
        }


def parse_cron(text: str) -> Cron:
    if len(text) > CRON_CHARS:
        raise CronError(f"the cron expression is too long: {too_long('it', len(text), CRON_CHARS)}")
    expression = " ".join(text.split())
    expanded = MACROS.get(expression.lower(), expression)
    parts = expanded.split()
    if len(parts) != 5:
        raise CronError(
            f"`{shown(text)}` has {len(parts)} field{'s' if len(parts) != 1 else ''}; a cron expression has 5: "
            "minute hour day-of-month month day-of-week, e.g. `0 9 * * 1-5` (09:00 Monday to Friday)"
        )
    values = [_parse_field(part, spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    if parts[2] != "*" and parts[4] != "*":
        raise CronError(
            f"`{text}` restricts both the day of month (`{parts[2]}`) and the day of week (`{parts[4]}`); "
            "cron would run on either, which surprises people: set one of them to `*`"
        )
    minutes, hours, days, months, weekdays = values
    sunday_is_zero = tuple(sorted({d % 7 for d in weekdays}))
    return Cron(expression, minutes, hours, days, months, sunday_is_zero)


def _parse_field(part: str, spec: _Field) -> tuple[int, ...]:
    found: set[int] = set()
    for item in part.split(","):
        found.update(_parse_item(item, spec, part))
    return tuple(sorted(found))


def _parse_item(item: str, spec: _Field, part: str) -> range:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) == 0:
            raise _field_error(spec, part, f"has a step `/{step_text}` that must be a whole number of at least 1")
        step = int(step_text)
    if base == "*":
        return range(spec.low, spec.high + 1 if spec.name != "day of week" else 7, step)
    first_text, dash, last_text = base.partition("-")
    first = _value(first_text, spec, part)
    last = _value(last_text, spec, part) if dash else (spec.high if slash else first)
    if last < first:
        raise _field_error(spec, part, f"has a range `{base}` that runs backwards; write it low to high")
    return range(first, last + 1, step)


def _value(text: str, spec: _Field, part: str) -> int:
    lowered = text.lower()
    if lowered in spec.names:
        return spec.low + spec.names.index(lowered)
    if not text.isdigit():
        named = f" or a name ({spec.names[0]}, {spec.names[1]}, …)" if spec.names else ""
        what = "" if text == part else f"has `{text}`, which "
        raise _field_error(spec, part, f"{what}is not a number{named}")
    number = int(text)
    if not spec.low <= number <= spec.high:
        what = "" if text == part else f"has `{number}`, which "
        raise _field_error(spec, part, f"{what}is out of range: use {spec.low}–{spec.high}")
    return number


def _field_error(spec: _Field, part: str, why: str) -> CronError:
    return CronError(f"the {spec.name} `{part}` {why} (e.g. {spec.example})")
