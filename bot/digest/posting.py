"""Scheduled digests: each fire time posted exactly once, by whichever replica leads.

Leader election decides who runs the scheduler, but a leader can be paused past its term, so
every run is also guarded by SET NX on (schedule, fire time): of all the replicas that might
run one fire time, only the first to claim it posts.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.digest import render
from bot.digest.schedules import ScheduleBook
from bot.digest.service import DecidedDigests
from bot.policy.engine import CHANNEL_ALLOW_LIST
from bot.policy.subject import Subject
from commands.errors import PilothouseError, PolicyDenied
from commands.replies import Reply, error_reply
from integrations.scheduler.runner import JobSpec
from integrations.store import claims, keys
from integrations.store.port import Store

log = logging.getLogger(__name__)

FIRED_TTL = 7 * 86400.0  # far longer than any misfire grace time
LATE_AFTER = 60.0  # seconds after its time a digest says it is late


class Poster(Protocol):
    def post(self, channel: str, digest: Reply) -> None:
        """The reply in the channel, its details in its thread."""
        ...


class ScheduledDigests:
    def __init__(
        self,
        *,
        digests: DecidedDigests,
        store: Store,
        poster: Poster,
        identity: str,
        late_after: float = LATE_AFTER,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._digests = digests
        self._store = store
        self._book = ScheduleBook(store)
        self._poster = poster
        self._identity = identity
        self._late_after = late_after
        self._clock = clock

    def jobs(self) -> list[JobSpec]:
        return [JobSpec(s.id, s.cron, s.tz, datetime.fromisoformat(s.created)) for s in self._book.all()]

    def version(self) -> str | None:
        return self._book.version()

    def fire(self, schedule_id: str, due: datetime) -> bool:
        """Post the digest due at `due`, unless it was claimed already; True if this call posted it."""
        schedule = self._book.get(schedule_id)
        if schedule is None:
            return False  # stopped meanwhile
        if not self._claim(schedule_id, due.astimezone(UTC).isoformat()):
            log.info("digest %s for %s was claimed by another replica", schedule_id, due.isoformat())
            return False
        zone = ZoneInfo(schedule.tz)
        now = self._clock().astimezone(zone)
        local = due.astimezone(zone)
        late = f"{local:%H:%M} {schedule.tz}" if (now - due).total_seconds() > self._late_after else None
        try:
            # Decided again now, for the channel: its right to see that cluster may have changed
            # since the schedule was set. Read as Pilothouse itself, within what the channel may see.
            digest = self._digests.make(
                Subject.channel(schedule.channel),
                place=schedule.channel,
                cluster=schedule.cluster,
                namespace=schedule.namespace,
                now=now,
                late=late,
                as_bot=True,
                schedule=schedule.id,
            )
            made = render.reply(digest)
        except PolicyDenied as e:
            if e.rule == CHANNEL_ALLOW_LIST:
                log.warning("digest %s not posted: %s is not an enabled channel", schedule_id, schedule.channel)
                return False
            made = error_reply(f"Digest `{schedule_id}` was not posted: {e.message}", e.hint)
        except PilothouseError as e:
            # The channel learns why its digest is missing; the claim stays: no double post later.
            made = error_reply(f"Digest `{schedule_id}` could not be made: {e.message}", e.hint)
        self._poster.post(schedule.channel, made)
        return True

    def _claim(self, schedule_id: str, fire_time: str) -> bool:
        claim = keys.key("digest", "fired", schedule_id, fire_time)
        # Releases before store keys were escaped claimed the fire time unescaped: claimed too, so a
        # rolling upgrade (or a rollback) with replicas of both does not post the same fire twice.
        # Drop once no such release can run next to this one.
        before = keys.unescaped("digest", "fired", schedule_id, fire_time)
        return claims.claim(self._store, claim, self._identity, ttl=FIRED_TTL) and claims.claim(
            self._store, before, self._identity, ttl=FIRED_TTL
        )
