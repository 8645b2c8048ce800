"""CronJobs from chat: `run cronjob/NAME` (a Job from its template, followed to its end) and
`suspend`/`resume cronjob/NAME`, through the one write path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.handlers.context import Context
from bot.handlers.format import where
from bot.handlers.targets import Target, change_cause, target
from commands.deploy import (
    Change,
    Run,
    Suspend,
)
from commands.registry import Action
from commands.replies import Fields, Follow, Heading, Notice, Reply
from integrations.cluster import patches, resources, workloads
from integrations.cluster.workload_model import job_from


def suspend(action: Suspend, ctx: Context) -> Reply:
    return suspension(target(action, ctx), action, ctx, suspend=True)


def suspension(t: Target, action: Change, ctx: Context, *, suspend: bool) -> Reply:
    if bool(t.obj["spec"].get("suspend")) == suspend:
        state = "already suspended" if suspend else "not suspended"
        return Reply((Notice("info", f"{t.label} is {state}; nothing to do."),), effect="nothing")
    verb = "suspend" if suspend else "resume"
    cause = change_cause(action, ctx, f"{verb} {t.ref}")
    t.change(patches.suspended(suspend), cause)
    effect = (
        "No new Jobs start on its schedule; Jobs already running go on. `resume` lets them start again."
        if suspend
        else f"Jobs start again on its schedule (`{t.obj['spec'].get('schedule', '')}`)."
    )
    heading = Heading(f"{'Suspended' if suspend else 'Resumed'} {t.label} in {where(t.namespace, t.cluster.name)}")
    return Reply((heading, Fields((("Change-cause", cause),)), Notice("ok", effect)))


def run(action: Run, ctx: Context) -> Reply:
    """A Job from the CronJob's template now, followed to completion or failure."""
    t = target(action, ctx)
    at = ctx.now.strftime("%Y-%m-%dT%H:%M:%SZ")
    cause = change_cause(action, ctx, f"run {t.ref}")
    job = workloads.job_from_cronjob(t.obj, at=at, cause=cause)
    jobs = resources.require(t.cluster, resources.JOBS)
    t.cluster.create_object(jobs, t.namespace, job, dry_run=True)
    made = job_from(t.cluster.create_object(jobs, t.namespace, job, dry_run=False))
    note = " (the CronJob is suspended: only this run starts)" if t.obj["spec"].get("suspend") else ""
    return Reply(
        (
            Heading(f"Running {t.label} now in {where(t.namespace, t.cluster.name)}"),
            Fields((("Job", made.name), ("Images", ", ".join(i for _, i in made.images)), ("Change-cause", cause))),
            Notice("ok", f"Job `{made.name}` started{note}. `describe job {made.name}` shows it."),
        ),
        follow=Follow(t.cluster.name, t.namespace, made.name, "jobs"),
    )


HANDLERS: dict[type[Action], Callable[[Any, Context], Reply]] = {Suspend: suspend, Run: run}
