"""Freeze windows: when a freeze is on. Pure arithmetic over a given instant, never the clock.

Two shapes, as the policy file writes them:

- recurring: a cron expression (commands/cron.py, the digests' own) that starts a window, on the
  clock of an IANA time zone, and a duration. Both are wall-clock: `0 16 * * 5` for `64h` in
  Europe/Berlin is Friday 16:00 to Monday 08:00 local, in winter and in summer, so its UTC
  times move by an hour at a DST change. (Python adds a timedelta to a zoned datetime on the
  wall clock; we convert to UTC only to compare.)
- a date range: `start` and `end`, ISO 8601 with an offset, or a plain date (a whole day in the
  window's time zone: `end: 2026-12-31` includes that day).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

from commands.values import duration_text
from integrations.scheduler.triggers import time_zone, trigger

_TICK = timedelta(microseconds=1)
_MERGE = 50  # windows followed when they overlap, to say until when a freeze lasts


@dataclass(frozen=True, slots=True)
class Occurrence:
    """One stretch of a freeze: [start, end), in its time zone."""

    start: datetime
    end: datetime
    zone: tzinfo

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


def shown(moment: datetime, zone: tzinfo) -> str:
    """`Mon 2026-03-30 08:00 CEST (06:00 UTC)`: the zone's clock first, UTC beside it."""
    local, utc = moment.astimezone(zone), moment.astimezone(UTC)
    same_day = local.date() == utc.date()
    in_utc = f"{utc:%H:%M} UTC" if same_day else f"{utc:%a %Y-%m-%d %H:%M} UTC"
    if local.tzname() == "UTC":
        return f"{local:%a %Y-%m-%d %H:%M} UTC"
    return f"{local:%a %Y-%m-%d %H:%M %Z} ({in_utc})"


@dataclass(frozen=True)
class Recurring:
    cron: str
    duration: timedelta
    zone: ZoneInfo
    _trigger: CronTrigger = field(repr=False, compare=False)

    @classmethod
    def of(cls, cron: str, duration: timedelta, zone: str) -> Recurring:
        tz = time_zone(zone)
        return cls(cron, duration, tz, trigger(cron, str(tz)))

    def describe(self) -> str:
        return f"`{self.cron}` for {duration_text(self.duration.total_seconds())} ({self.zone})"

    def _window(self, start: datetime) -> Occurrence:
        local = start.astimezone(self.zone)
        return Occurrence(local, (local + self.duration).astimezone(self.zone), self.zone)

    def _next(self, after: datetime) -> datetime | None:
        fire: datetime | None = self._trigger.get_next_fire_time(None, after)
        return fire

    def active(self, at: datetime) -> Occurrence | None:
        # A window covering `at` started at most `duration` before it on the wall clock; the
        # first start from there covers `at`, but for a DST change (an hour's difference).
        fire = self._next((at.astimezone(self.zone) - self.duration).astimezone(UTC) + _TICK)
        for _ in range(_MERGE):
            if fire is None or fire > at:
                return None
            window = self._window(fire)
            if window.covers(at):
                return self._merged(window)
            fire = self._next(fire + _TICK)
        return None

    def _merged(self, window: Occurrence) -> Occurrence:
        """The window, with the ones that start before it ends (`0 * * * *` for 2h is one long freeze)."""
        end = window.end
        fire = self._next(window.start + _TICK)
        for _ in range(_MERGE):
            if fire is None or fire > end:
                break
            end = max(end, self._window(fire).end)
            fire = self._next(fire + _TICK)
        return Occurrence(window.start, end, self.zone)

    def upcoming(self, at: datetime, until: datetime) -> list[Occurrence]:
        found: list[Occurrence] = []
        fire = self._next(at + _TICK)
        while fire is not None and fire <= until and len(found) < 3:
            window = self._merged(self._window(fire))
            found.append(window)
            fire = self._next(window.end)
        return found


@dataclass(frozen=True, slots=True)
class DateRange:
    start: datetime
    end: datetime
    zone: tzinfo

    @classmethod
    def of(cls, start: str | date | datetime, end: str | date | datetime, zone: str) -> DateRange:
        tz = time_zone(zone)
        return cls(moment(start, tz, end_of_day=False), moment(end, tz, end_of_day=True), tz)

    def describe(self) -> str:
        return f"{shown(self.start, self.zone)} to {shown(self.end, self.zone)}"

    def active(self, at: datetime) -> Occurrence | None:
        window = Occurrence(self.start, self.end, self.zone)
        return window if window.covers(at) else None

    def upcoming(self, at: datetime, until: datetime) -> list[Occurrence]:
        return [Occurrence(self.start, self.end, self.zone)] if at < self.start <= until else []


Window = Recurring | DateRange


def moment(value: str | date | datetime, zone: tzinfo, *, end_of_day: bool) -> datetime:
    """An instant from the policy file: ISO 8601 with an offset (`2026-12-20T18:00:00+01:00`,
    `…Z`), or a date, which is the start of that day in `zone` (for an end: the end of it).
    ValueError says what is wrong. YAML itself reads unquoted dates and times into objects."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        day = value + timedelta(days=1) if end_of_day else value
        return datetime.combine(day, time(0), zone)
    else:
        text = value.strip()
        try:
            if len(text) == 10:
                return moment(date.fromisoformat(text), zone, end_of_day=end_of_day)
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        except ValueError:
            raise ValueError(
                f"`{value}` is not a date or time: use ISO 8601, e.g. `2026-12-20` or `2026-12-20T18:00:00+01:00`"
            ) from None
    if parsed.tzinfo is None:
        raise ValueError(
            f"`{value}` has no UTC offset: add one (`+01:00`, `Z`), or give a plain date, which is read in "
            "the window's `timezone`"
        )
    return parsed
