"""Daily digests: `digest now`, `digest schedule`, `digest list`, `digest off`.

A digest is a health summary of one cluster (or one namespace of it) posted to a channel,
with what changed since the last one. Schedules are checked here as far as pure code can
(the cron expression); the time zone and cluster are checked where they are known.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from commands.cron import parse_cron
from commands.limits import TIME_ZONE_CHARS, shown
from commands.read import CLUSTER, InNamespace
from commands.registry import Action, CommandSpec, Param

SCHEDULE_ID = re.compile(r"^d-[0-9a-f]{6}$")


def cron_expression(value: str) -> str:
    return parse_cron(value).text  # CronError is a ValueError: the parser names the argument


def schedule_id(value: str) -> str:
    if not SCHEDULE_ID.match(value):
        raise ValueError(f"`{shown(value)}` is not a digest schedule ID: they look like `d-3f9a2c` (see `digest list`)")
    return value


CronExpression = Annotated[str, AfterValidator(cron_expression)]
ScheduleId = Annotated[str, AfterValidator(schedule_id)]


class DigestScope(InNamespace):
    """Without a namespace a digest covers the whole cluster, so the policy sees it as cluster-wide."""

    def scope(self, default_namespace: str) -> str | None:
        return self.namespace


class DigestNow(DigestScope):
    pass


class DigestSchedule(DigestScope):
    cron: CronExpression
    tz: str = Field(default="UTC", min_length=1, max_length=TIME_ZONE_CHARS)


class DigestList(Action):
    pass


class DigestOff(Action):
    """Checked against the policy by its handler: only the schedule knows its cluster and namespace."""

    id: ScheduleId


NAMESPACE = Param(
    "namespace",
    "NAMESPACE",
    "one namespace (default: the whole cluster, or yours from `use -n`)",
    ("-n", "--namespace"),
)
TZ = Param("tz", "ZONE", "IANA time zone of the schedule, e.g. `Europe/Berlin` (default UTC)", ("--tz",))

SPECS = (
    CommandSpec(
        words=("digest", "now"),
        model=DigestNow,
        family="digest",
        summary="A health digest of the cluster (or one namespace) now, with what changed since the last one",
        params=(NAMESPACE, CLUSTER),
        examples=("digest now", "digest now -n shop"),
    ),
    CommandSpec(
        words=("digest", "schedule"),
        model=DigestSchedule,
        family="digest",
        access="write",
        summary="Post a digest to this channel on a cron schedule (kept across restarts)",
        params=(
            Param("cron", "CRON", "5-field cron: minute hour day-of-month month day-of-week", required=True),
            TZ,
            NAMESPACE,
            CLUSTER,
        ),
        examples=('digest schedule "0 9 * * 1-5" --tz Europe/Berlin', 'digest schedule "30 8 * * *" -n shop'),
    ),
    CommandSpec(
        words=("digest", "list"),
        aliases=(("digest", "ls"), ("digests",)),
        model=DigestList,
        family="digest",
        summary="The digests scheduled for this channel, with their next run",
        examples=("digest list",),
    ),
    CommandSpec(
        words=("digest", "off"),
        aliases=(("digest", "delete"), ("digest", "rm")),
        model=DigestOff,
        family="digest",
        access="write",
        summary="Stop a scheduled digest (its ID is in `digest list`)",
        params=(Param("id", "ID", "the schedule's ID, e.g. `d-3f9a2c`", required=True),),
        examples=("digest off d-3f9a2c",),
    ),
)
