"""Assembling and running the Slack bot in either transport, with graceful shutdown."""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass
from datetime import datetime

from slack_bolt import App
from slack_sdk import WebClient

from bot import work_pool
from bot.approvals.sweeper import Sweeper
from bot.budget import Overrun
from bot.digest.wiring import Fire, scheduled_digests
from bot.ops import ClusterProbe, Readiness, ops_app
from bot.policy.subject import Subject
from bot.slack.app import connect_approvals, connect_people, create_app, slack_work, web_client
from bot.slack.digests import SlackPoster
from bot.slack.directory import Directory
from bot.slack.endpoint import SlackEndpoint
from bot.slack.interactions import Interactions
from bot.slack.jobs import Job, SlackWork, tell_stopped
from bot.slack.listeners import FrontDoor, JobRunner
from bot.slack.people import People
from bot.slack.reactions import ApprovalReactions
from bot.slack.server import HttpServer, SocketMode
from bot.wiring import App as Pilothouse
from bot.worker import Worker
from commands.errors import ConfigError
from integrations.scheduler.runner import LeaderScheduler

log = logging.getLogger(__name__)

HANDLER_THREADS = 4  # button and reaction handlers (approvals): light, and rare next to commands


@dataclass
class SlackBot:
    bolt: App
    jobs: Worker
    handlers: Worker
    interactions: Interactions
    http: HttpServer
    socket: SocketMode | None
    probe: ClusterProbe
    digests: LeaderScheduler | None = None  # posts scheduled digests while this replica leads
    work: SlackWork | None = None  # the jobs' work, when it runs in this process
    sweeper: Sweeper | None = None  # approval requests: expiries and lost runs

    def start(self) -> SlackBot:
        self.http.start()
        self.probe.start()
        if self.socket is not None:
            self.socket.connect()
        if self.digests is not None:
            self.digests.start()
        if self.sweeper is not None:
            self.sweeper.start()
        return self

    def stop(self) -> None:
        if self.digests is not None:
            self.digests.stop()  # first: a replica shutting down hands the schedule over at once
        if self.socket is not None:
            self.socket.close()
        self.probe.stop()
        self.http.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        self.jobs.shutdown(wait=True)
        self.handlers.shutdown(wait=True)
        if self.work is not None:
            self.work.stop()


DIGEST_SECONDS = 600  # a scheduled digest made in a worker process must be done by then


def _jobs(pilothouse: Pilothouse, client: WebClient) -> tuple[Worker, JobRunner, SlackWork | None, Fire | None]:
    """Where jobs run: worker processes for real clusters, threads here for the in-memory demo."""
    settings, metrics = pilothouse.settings, pilothouse.metrics
    if processes := settings.pipeline_processes:
        executor = work_pool.process_pool(settings, processes)
        pool = Worker(executor, capacity=processes + settings.work_queue, settle=settings.work_settle)

        def fire_digest(schedule: str, due: datetime, identity: str) -> bool:
            # Not through the bounded pool: a scheduled digest is never refused as "busy".
            task = executor.submit_within(DIGEST_SECONDS, work_pool.fire_digest, schedule, due, identity)
            posted: bool = task.result()
            return posted

        def failed(job: Job, error: BaseException) -> None:
            if not isinstance(error, Overrun):
                log.error("the job for %s in %s failed: %s", job.user, job.channel, error)
                return
            metrics.overruns.labels("worker").inc()
            tell_stopped(client, pilothouse.store, job, settings.request_budget)

        def in_a_process(job: Job) -> bool:
            return pool.submit(
                work_pool.run_job,
                job,
                on_done=lambda recorded: recorded.replay(metrics),
                on_error=lambda error: failed(job, error),
            )

        return pool, in_a_process, None, fire_digest
    threads = Worker.threads(threads=settings.workers, queue=settings.work_queue, settle=settings.work_settle)
    work = slack_work(settings, pilothouse, metrics)

    def in_a_thread(job: Job) -> bool:
        return threads.submit(work.run, job)

    return threads, in_a_thread, work, None


def build(pilothouse: Pilothouse) -> SlackBot:
    settings, access = pilothouse.settings, pilothouse.access
    socket_mode = settings.slack_app_token is not None
    if not socket_mode and settings.slack_signing_secret is None:
        raise ConfigError(
            "Slack needs PILOTHOUSE_SLACK_APP_TOKEN (Socket Mode) or PILOTHOUSE_SLACK_SIGNING_SECRET (HTTP mode).",
            hint="See README, “Connect to Slack”.",
        )
    if settings.approvals_channel and not access.policy.current.channel_enabled(settings.approvals_channel):
        raise ConfigError(
            f"PILOTHOUSE_APPROVALS_CHANNEL {settings.approvals_channel} is not one of PILOTHOUSE_SLACK_CHANNELS: "
            "its buttons and reactions would be refused.",
            hint="Add it to PILOTHOUSE_SLACK_CHANNELS.",
        )
    client = web_client(settings, pilothouse.metrics)
    jobs, run_job, work, fire_digest = _jobs(pilothouse, client)
    if work is None:  # jobs run in worker processes: this one's sweeps show their changes too
        connect_approvals(settings, pilothouse, client)
    interactions = Interactions()
    handlers = Worker.threads(threads=HANDLER_THREADS, queue=settings.work_queue)
    people = People(Directory(client, pilothouse.store), connect_people(settings, pilothouse, client))

    def identify(user: str, channel: str, team: str | None) -> Subject:
        return access.subject(people.message(user, channel, "", team=team))

    front_door = FrontDoor(
        run_job=run_job,
        jobs=jobs,
        store=pilothouse.store,
        metrics=pilothouse.metrics,
        interactions=interactions,
        handlers=handlers,
        enabled=lambda channel: access.policy.current.channel_enabled(channel),
        identify=identify,
    )
    reactions = ApprovalReactions(
        book=pilothouse.pipeline.approvals.book,
        run_job=run_job,
        client=client,
        busy=front_door.busy,
        approve=settings.approve_reaction,
        deny=settings.deny_reaction,
    )
    reactions.register(interactions)
    bolt = create_app(settings, front_door, client, http=not socket_mode)
    endpoint = None
    if not socket_mode:
        assert settings.slack_signing_secret is not None
        secret = settings.slack_signing_secret.get_secret_value()
        metrics = pilothouse.metrics
        endpoint = SlackEndpoint(bolt, signing_secret=secret, max_body=settings.http_max_body, metrics=metrics)
    socket = None
    if socket_mode:
        assert settings.slack_app_token is not None
        socket = SocketMode(bolt, app_token=settings.slack_app_token.get_secret_value(), client=client)
    readiness = Readiness(pilothouse.store, slack_connected=socket.connected if socket else None)
    wsgi = ops_app(readiness, pilothouse.metrics, jobs, fallback=endpoint)
    http = HttpServer(
        wsgi,
        host=settings.http_host,
        port=settings.http_port,
        threads=settings.http_threads,
        max_body=settings.http_max_body,
    )
    probe = ClusterProbe(pilothouse.clusters, pilothouse.metrics)
    digests = scheduled_digests(pilothouse, SlackPoster(client), elsewhere=fire_digest)
    sweeper = Sweeper(pilothouse.pipeline.approvals, every=settings.approvals_sweep)
    return SlackBot(bolt, jobs, handlers, interactions, http, socket, probe, digests, work, sweeper)


def run(pilothouse: Pilothouse) -> int:
    bot = build(pilothouse).start()
    mode = "Socket Mode" if bot.socket else f"HTTP mode on :{bot.http.port}/slack/events"
    log.warning("Pilothouse is connected to Slack (%s); ops endpoints on :%d", mode, bot.http.port)
    stop, hangup = threading.Event(), threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: hangup.set())  # reload the policy file now
    # Wake now and then: the kernel may deliver SIGTERM to any of our threads, and Python runs
    # the handler only when the main thread runs again; a wait without timeout could miss it.
    while not stop.wait(timeout=0.5):
        if hangup.is_set():
            hangup.clear()
            pilothouse.access.policy.reload("SIGHUP")  # worker processes see the file change themselves
    log.warning("stopping: finishing the work in flight")
    bot.stop()
    return 0
