"""APScheduler 3.x, on the elected leader only.

Job stores must never be shared between schedulers (APScheduler #231, #303), so schedules are
our own data (in the store) and the leader keeps an in-memory job store: rebuilt when it gains
leadership, re-synced whenever the schedules' version changes, shut down at once when it loses.
A fire missed during a handover is still due when the new leader starts (within the misfire
grace time): it runs once, late, and the job is told its fire time so it can say so.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger

from commands.errors import PilothouseError
from integrations.scheduler.leader import Leadership
from integrations.scheduler.triggers import trigger

log = logging.getLogger(__name__)

SYNC_JOB = "__sync__"


@dataclass(frozen=True, slots=True)
class JobSpec:
    id: str
    cron: str
    tz: str
    not_before: datetime | None = None  # when it was scheduled: earlier fires were never due


def latest_fire(cron: CronTrigger, now: datetime, grace: float, not_before: datetime | None = None) -> datetime | None:
    """The last fire time at or before `now`, within `grace` seconds: the run that is due
    (none before `not_before`, e.g. a schedule's creation)."""
    fire = cron.get_next_fire_time(None, now - timedelta(seconds=grace))
    due = None
    while fire is not None and fire <= now:
        due = fire
        fire = cron.get_next_fire_time(fire, fire + timedelta(microseconds=1))
    return None if due is None or (not_before and due < not_before) else due


class LeaderScheduler:
    def __init__(
        self,
        *,
        leader: Leadership,
        jobs: Callable[[], list[JobSpec]],
        version: Callable[[], str | None],
        run: Callable[[str, datetime], object],
        misfire_grace: float = 3600.0,
        sync_every: float = 2.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        make_trigger: Callable[[str, str], CronTrigger] = trigger,  # tests: seconds instead of minutes
    ) -> None:
        self.leader = leader
        self._jobs = jobs
        self._version = version
        self._run = run
        self._grace = misfire_grace
        self._sync_every = sync_every
        self._clock = clock
        self._trigger = make_trigger
        self._lock = threading.Lock()
        self._scheduler: BackgroundScheduler | None = None
        self._synced: tuple[str | None, dict[str, JobSpec]] | None = None

    def start(self) -> None:
        self.leader.start(self._lead, self._follow)

    def stop(self) -> None:
        self.leader.stop()
        self._follow()

    @property
    def job_ids(self) -> set[str]:
        with self._lock:
            if self._scheduler is None:
                return set()
            return {j.id for j in self._scheduler.get_jobs() if j.id != SYNC_JOB}

    def _lead(self) -> None:
        with self._lock:
            scheduler = BackgroundScheduler(
                timezone=UTC,
                job_defaults={"coalesce": True, "misfire_grace_time": int(self._grace), "max_instances": 1},
            )
            self._scheduler, self._synced = scheduler, None
            scheduler.add_job(self._sync, "interval", seconds=self._sync_every, id=SYNC_JOB)
            try:
                self._sync_locked(first=True)
            except Exception:
                self._scheduler = None  # the leadership is given up by the caller
                raise
            scheduler.start()
        log.info("scheduler: leading with %d digest job(s)", len(self.job_ids))

    def _follow(self) -> None:
        with self._lock:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)  # running jobs finish; nothing new starts
            log.info("scheduler: stopped (no longer the leader)")

    def _sync(self) -> None:
        with self._lock:
            if self._scheduler is not None:
                self._sync_locked(first=False)

    def _sync_locked(self, *, first: bool) -> None:
        assert self._scheduler is not None
        version = self._version()
        if self._synced is not None and self._synced[0] == version:
            return
        wanted = {spec.id: spec for spec in self._jobs()}
        had = self._synced[1] if self._synced else {}
        for gone in had.keys() - wanted.keys():
            if self._scheduler.get_job(gone) is not None:  # a skipped one never was a job
                self._scheduler.remove_job(gone)
        for spec in wanted.values():
            if had.get(spec.id) == spec:
                continue
            try:
                cron = self._trigger(spec.cron, spec.tz)
            except (ValueError, PilothouseError) as e:  # e.g. data edited by hand: the others still run
                log.error("scheduled job %s is skipped: %s", spec.id, e)
                continue
            # On gaining leadership, a fire missed in the handover is still due: start from it.
            missed = latest_fire(cron, self._clock(), self._grace, spec.not_before) if first else None
            self._scheduler.add_job(
                self._fire,
                cron,
                args=(spec, cron),
                id=spec.id,
                replace_existing=True,
                **({"next_run_time": missed} if missed else {}),
            )
        self._synced = (version, wanted)

    def _fire(self, spec: JobSpec, cron: CronTrigger) -> None:
        due = latest_fire(cron, self._clock(), self._grace, spec.not_before)
        if due is None:
            return
        try:
            self._run(spec.id, due)
        except Exception:
            log.exception("scheduled job %s for %s failed", spec.id, due.isoformat())
