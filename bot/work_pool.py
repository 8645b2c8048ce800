"""Worker processes for the Slack bot's jobs, so the work never slows the acks.

In one Python process, threads doing cluster work (JSON, TLS, rendering, posting replies) hold
the GIL often enough to delay the threads that must ack Slack within 3 s. Jobs therefore run in
a few worker processes at a lower CPU priority; the front process only acks and hands over.
A job and its result (metric events) are small values that cross the boundary as pickles.

A job has its time budget twice over: the pipeline abandons a request past
PILOTHOUSE_REQUEST_BUDGET and answers it (then this process is replaced, as the abandoned
request may still be running here), and a process that has not answered KILL_AFTER seconds
later still (stuck in C code, say) is killed and replaced by the pool (bot/processes.py).
"""

from __future__ import annotations

import atexit
import os
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from bot import processes
from bot.processes import ProcessPool, WorkersFailed
from bot.settings import Settings
from bot.slack.jobs import Job, Recorder, SlackWork
from commands.errors import ConfigError

if TYPE_CHECKING:
    from bot import wiring

NICENESS = 10  # below the front process: acks first, work when the CPU is free
KILL_AFTER = 10.0  # seconds past the request budget before a silent worker process is killed

_work: SlackWork | None = None
_app: wiring.App | None = None
_recorder = Recorder()


def _plain(settings: Settings) -> dict[str, Any]:
    """Settings as plain values, secrets included: they go to our own child processes only."""
    values = {}
    for name in Settings.model_fields:
        value = getattr(settings, name)
        values[name] = value.get_secret_value() if isinstance(value, SecretStr) else value
    return values


def _start(values: dict[str, Any]) -> None:
    from bot import logs, wiring
    from bot.slack.app import slack_work

    os.nice(NICENESS)
    settings = Settings(**values)
    logs.configure(settings.log_level, json_lines=True)
    pilothouse = wiring.build(settings, user="")
    pilothouse.pipeline.observers = (_recorder.observe,)
    global _work, _app
    _app = pilothouse
    _work = slack_work(settings, pilothouse, _recorder)
    atexit.register(_work.stop)  # rollouts followed here get their last edit before the process ends


def run_job(job: Job) -> Recorder:
    """Runs in a worker process; returns what happened, for the front's metrics."""
    assert _work is not None, "worker process not initialised"
    _recorder.events.clear()
    _work.run(job)
    if _work.pipeline.budget.strays():
        processes.request_recycle()  # an abandoned request may still be running here
    return Recorder(list(_recorder.events))


def fire_digest(schedule_id: str, due: datetime, identity: str) -> bool:
    """Runs in a worker process: make and post one scheduled digest (seconds of CPU on a big
    cluster), so the front process, which only leads and schedules, keeps acking at full speed."""
    assert _work is not None and _app is not None, "worker process not initialised"
    from bot.digest.wiring import scheduled
    from bot.slack.digests import SlackPoster

    digests = scheduled(_app, SlackPoster(_work.client), identity)
    return digests.fire(schedule_id, due)


def process_pool(settings: Settings, count: int) -> ProcessPool:
    """Started before the bot takes requests: a process starts in about a second, and a
    worker that cannot start (Redis down, a broken kubeconfig) must stop the bot, not each job."""
    try:
        return ProcessPool(
            count, initializer=_start, initargs=(_plain(settings),), timeout=settings.request_budget + KILL_AFTER
        )
    except WorkersFailed as e:
        raise ConfigError(f"The worker processes could not start: {e}; see the log above.") from e
