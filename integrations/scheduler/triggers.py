"""Cron triggers from our checked expressions, and time zones by their IANA names."""

from __future__ import annotations

import difflib
import zoneinfo
from datetime import datetime
from functools import cache

from apscheduler.triggers.cron import CronTrigger

from commands.cron import parse_cron
from commands.errors import ParseError


@cache
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in zoneinfo.available_timezones()}


def time_zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone called `name` (any letter case), or a ParseError naming the closest real ones."""
    canonical = _zones().get(name.lower())
    if canonical is not None:
        return zoneinfo.ZoneInfo(canonical)
    lowered = name.lower()
    close = difflib.get_close_matches(lowered, list(_zones()), n=3, cutoff=0.6)
    # "Berlin" → Europe/Berlin: the city alone (maybe misspelt) is what people often type.
    cities: dict[str, list[str]] = {}
    for zone in _zones():
        cities.setdefault(zone.rsplit("/", 1)[-1], []).append(zone)
    city = lowered.replace(" ", "_")
    for match in difflib.get_close_matches(city, list(cities), n=2, cutoff=0.75):
        close += [z for z in cities[match] if z not in close and "/" in z]
    names = [_zones()[z] for z in close[:3]]
    hint = "Did you mean " + " or ".join(f"`{n}`" for n in names) + "? " if names else ""
    raise ParseError(
        f"Unknown time zone `{name}`.",
        hint=hint + "Time zones are IANA names, e.g. `Europe/Berlin`, `America/New_York`, `UTC`.",
    )


def trigger(cron: str, tz: str) -> CronTrigger:
    return CronTrigger(**parse_cron(cron).trigger_fields(), timezone=time_zone(tz))


def next_fire(cron: str, tz: str, after: datetime) -> datetime | None:
    fire: datetime | None = trigger(cron, tz).get_next_fire_time(None, after)
    return fire
