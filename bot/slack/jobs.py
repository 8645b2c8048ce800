"""The work behind an ack: a `Job` names the request and where its answer goes; `SlackWork`
does it — deduplicate, look up names, run the pipeline, render, post, upload.

Jobs are small frozen values, so they can run in this process or in worker processes
(bot/work_pool.py) alike. What happened is reported through a `MetricsSink`: the real metrics in
this process, or a `Recorder` whose events the front process replays into its own metrics.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.audit import AuditRecord
from bot.message import Message
from bot.pipeline import Pipeline, Progress
from bot.slack.directory import Directory
from bot.slack.live import UPDATE_INTERVAL, LiveMessage
from bot.slack.people import People, Workspaces
from commands.errors import StoreUnavailable, TimedOut
from commands.replies import Reply, error_reply
from integrations.render.blocks import Attachment, SlackMessage, escape, render_details, render_message
from integrations.store import claims, keys
from integrations.store.port import Store

log = logging.getLogger(__name__)

DEDUPE_SECONDS = 3600  # Slack retries within minutes; an hour is ample
SLOW_AFTER = 2.0  # a reply not ready by then is announced with a "working on it" message
FOLLOWERS = 64  # rollouts followed at once per process (each holds two watches while it lasts)


class MetricsSink(Protocol):
    def observe(self, record: AuditRecord) -> None: ...
    def command(self, command: str, outcome: str, seconds: float) -> None: ...
    def slack_error(self, method: str, error: str) -> None: ...
    def slack_retry(self, reason: str) -> None: ...
    def duplicate(self, kind: str) -> None: ...
    def decision(self, decision: str) -> None: ...


@dataclass
class Recorder:
    """A MetricsSink that keeps the events, for a worker process to send back with its result."""

    events: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    def observe(self, record: AuditRecord) -> None:
        # Plain values, not the record: they cross a process boundary, and small pickles are cheap.
        self.command(record.command or "unparsed", record.outcome, record.duration_ms / 1000)
        if record.decision:
            self.decision(record.decision)

    def decision(self, decision: str) -> None:
        self.events.append(("decision", (decision,)))

    def command(self, command: str, outcome: str, seconds: float) -> None:
        self.events.append(("command", (command, outcome, seconds)))

    def slack_error(self, method: str, error: str) -> None:
        self.events.append(("slack_error", (method, error)))

    def slack_retry(self, reason: str) -> None:
        self.events.append(("slack_retry", (reason,)))

    def duplicate(self, kind: str) -> None:
        self.events.append(("duplicate", (kind,)))

    def replay(self, sink: MetricsSink) -> None:
        for name, args in self.events:
            getattr(sink, name)(*args)


@dataclass(frozen=True, slots=True)
class ReplyTo:
    """Where the answer goes: a slash command's response_url, or a channel (and thread).
    `quiet` (a reaction's vote): no answer but a refusal, shown to the person alone, and the
    rollout the vote started, followed in the job's thread (the request's)."""

    response_url: str | None = None
    channel: str | None = None
    thread_ts: str | None = None
    quiet: bool = False


@dataclass(frozen=True, slots=True)
class Job:
    user: str
    channel: str
    text: str
    seen: tuple[str, str]  # (kind, key) that identifies redeliveries of this request
    reply_to: ReplyTo
    thread: str | None = None  # the thread the request came from: its conversation
    team: str | None = None  # the person's team as the request states it (ours, or external?)


def working_key(job: Job) -> str:
    kind, key = job.seen
    return keys.key("slack", "working", kind, key)


def tell_stopped(
    client: WebClient,
    store: Store,
    job: Job,
    seconds: float,
    webhook: Callable[[str], WebhookClient] = WebhookClient,
) -> None:
    """In the front process, for a job whose worker process was killed for running past its
    time: edit its "working on it" message into the answer, or answer where the job would have."""
    stopped = TimedOut(seconds)
    reply = error_reply(f"`{job.text}` took longer than {seconds:g} s, so Pilothouse stopped it.", stopped.hint)
    rendered = render_message(reply, title=job.text)
    blocks = list(rendered.blocks) or None
    try:
        where = store.get(working_key(job))
        if where:
            channel, ts = where.split(" ", 1)
            client.chat_update(channel=channel, ts=ts, text=rendered.text, blocks=blocks)
        elif job.reply_to.response_url:
            webhook(job.reply_to.response_url).send(
                text=rendered.text, blocks=blocks, response_type="ephemeral", replace_original=False
            )
        else:
            channel = job.reply_to.channel or job.channel
            client.chat_postMessage(
                channel=channel, thread_ts=job.reply_to.thread_ts, text=rendered.text, blocks=blocks
            )
    except (SlackApiError, StoreUnavailable, OSError, ValueError) as e:
        log.error("could not tell %s in %s that their request was stopped: %s", job.user, job.channel, e)


def first_delivery(store: Store, sink: MetricsSink, kind: str, key: str) -> bool:
    """True the first time any replica sees this delivery; redeliveries are dropped."""
    try:
        first = claims.claim(store, keys.key("slack", "seen", kind, key), "1", ttl=DEDUPE_SECONDS)
    except StoreUnavailable as e:
        # Answering twice is better than not answering: go on, and say so in the logs.
        log.error("cannot deduplicate a Slack %s: %s", kind, e.message)
        return True
    if not first:
        sink.duplicate(kind)
    return first


class SlackWork:
    def __init__(
        self,
        *,
        pipeline: Pipeline,
        store: Store,
        client: WebClient,
        sink: MetricsSink,
        workspaces: Workspaces,
        webhook: Callable[[str], WebhookClient] = WebhookClient,
        slow_after: float | None = None,
        update_interval: float | None = None,
    ) -> None:
        self.pipeline = pipeline
        self._followers = threading.BoundedSemaphore(FOLLOWERS)
        self._threads: set[threading.Thread] = set()
        self.store = store
        self.client = client
        self.sink = sink
        self.directory = Directory(client, store)
        self.people = People(self.directory, workspaces)
        self._webhook = webhook
        self.slow_after = SLOW_AFTER if slow_after is None else slow_after
        self.update_interval = UPDATE_INTERVAL if update_interval is None else update_interval

    def run(self, job: Job) -> None:
        if not first_delivery(self.store, self.sink, *job.seen):
            return
        message = self.people.message(job.user, job.channel, job.text, team=job.team, thread=job.thread)
        try:
            if job.reply_to.response_url:
                reply = self.pipeline.handle(message)
                rendered = render_message(reply, title=job.text)
                if reply.follow is None or not self._follow_in_channel(job, message, reply, rendered):
                    self._respond(job.reply_to.response_url, rendered, reply.ok)
                    self._follow_quietly(job, message, reply, job.reply_to.response_url)
                if (details := render_details(reply, title=job.text)) is not None:
                    # A response_url answer has no thread to put them in: they follow it.
                    self._respond(job.reply_to.response_url, details, reply.ok)
                    if details.attachment is not None:
                        self._upload(job, details.attachment)
            elif job.reply_to.quiet:
                self._answer_quietly(job, message)
                return
            else:
                rendered = self._answer_in_channel(job, message)
        except (SlackApiError, OSError) as e:  # OSError: a response_url that cannot be reached
            self._failed("reply", job, e)
            return
        if rendered.attachment is not None:
            self._upload(job, rendered.attachment)

    def _answer_in_channel(self, job: Job, message: Message) -> SlackMessage:
        """One message in the channel (or thread): a "working on it" note if the work is slow,
        edited in place into the answer when it is ready."""
        channel = job.reply_to.channel or job.channel
        live = LiveMessage(self.client, channel, thread_ts=job.reply_to.thread_ts, interval=self.update_interval)
        timer = threading.Timer(self.slow_after, self._announce, args=(job, live))
        timer.daemon = True
        timer.start()
        try:
            reply = self.pipeline.handle(message)
        finally:
            timer.cancel()
        rendered = render_message(reply, title=job.text)
        if reply.follow is None:
            live.finish(rendered)
        else:
            live.show(rendered)
            self._follow_live(job, message, reply, live)
        if job.reply_to.thread_ts is None and live.ts is not None:
            # Replies in the answer's thread carry on this conversation.
            self.pipeline.conversations.adopt(message, live.ts)
        details = render_details(reply, title=job.text)
        thread = job.reply_to.thread_ts or live.ts
        if details is not None and thread is not None:
            self.client.chat_postMessage(
                channel=channel, thread_ts=thread, text=details.text, blocks=list(details.blocks) or None
            )
            if details.attachment is not None:
                self._upload(job, details.attachment, thread=thread)
        return rendered

    def _answer_quietly(self, job: Job, message: Message) -> None:
        """A reaction: the request's message shows the vote counted, so only a refusal is
        answered (ephemerally: only the person sees why), and a rollout the vote started is
        followed in the request's thread."""
        reply = self.pipeline.handle(message)
        rendered = render_message(reply, title=job.text)
        if not reply.ok:
            self.client.chat_postEphemeral(
                channel=job.channel, user=job.user, text=rendered.text, blocks=list(rendered.blocks) or None
            )
        elif reply.follow is not None:
            self._follow_in_channel(job, message, reply, rendered)

    def _announce(self, job: Job, live: LiveMessage) -> None:
        """The "working on it" message, kept in the store too: if this process is killed for
        running too long, the front process edits this message into the answer."""
        live.show(SlackMessage(text=f":hourglass_flowing_sand: Working on `{escape(job.text)}`…", blocks=()))
        if live.ts is not None:
            with contextlib.suppress(StoreUnavailable):
                self.store.set(working_key(job), f"{live.channel} {live.ts}", ttl=DEDUPE_SECONDS)

    def _follow_in_channel(self, job: Job, message: Message, reply: Reply, rendered: SlackMessage) -> bool:
        """A slash command's rollout is followed in a channel message the bot can edit (a
        response_url takes only a few answers); False when the bot may not post there."""
        live = LiveMessage(self.client, job.channel, thread_ts=job.thread, interval=self.update_interval)
        try:
            live.show(rendered)
        except SlackApiError as e:
            log.info(
                "cannot post in %s (%s): following the rollout via response_url", job.channel, e.response.get("error")
            )
            return False
        if live.ts is not None and job.thread is None:
            self.pipeline.conversations.adopt(
                message, live.ts
            )  # `@Pilothouse scale 5` in its thread means this Deployment
        self._follow_live(job, message, reply, live)
        return True

    def _follow_live(self, job: Job, message: Message, reply: Reply, live: LiveMessage) -> None:
        """Edit the message as the rollout goes (throttled), and end with how it went."""

        def show(progress: Progress) -> None:
            try:
                live.show(render_message(progress.reply, title=job.text))
            except SlackApiError as e:  # a missed edit is not worth stopping the rollout's report for
                self._failed("chat.update", job, e)

        def track() -> None:
            final = self.pipeline.follow(reply, show, message=message)  # as the person who asked
            live.finish(render_message(final.reply if final else reply, title=job.text), at_once=True)

        self._in_background(job, track)

    def _follow_quietly(self, job: Job, message: Message, reply: Reply, response_url: str) -> None:
        """Without a message to edit: only the end of the rollout, as a second answer."""

        def track() -> None:
            final = self.pipeline.follow(reply, lambda _: None, message=message)
            if final is not None:
                self._respond(response_url, render_message(final.reply, title=job.text), True)

        self._in_background(job, track)

    def stop(self, timeout: float = 5.0) -> None:
        """On shutdown: rollouts still followed end with an honest last edit, not mid-sentence."""
        self.pipeline.stop_following("Pilothouse is restarting")
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))

    def _in_background(self, job: Job, track: Callable[[], None]) -> None:
        """Rollouts take minutes: each is followed by a thread of its own, so the worker is free
        for the next command at once. Daemon threads: stopping the bot is not held up by a
        rollout (its message keeps the last state shown)."""
        if not self._followers.acquire(blocking=False):
            log.warning("not following the rollout of `%s`: %d are followed already", job.text, FOLLOWERS)
            return

        def guarded() -> None:
            try:
                track()
            except Exception:
                log.exception("following the rollout of `%s` failed", job.text)
            finally:
                self._followers.release()
                self._threads.discard(threading.current_thread())

        thread = threading.Thread(target=guarded, name="pilothouse-follow", daemon=True)
        self._threads.add(thread)
        thread.start()

    def _respond(self, response_url: str, message: SlackMessage, ok: bool) -> None:
        # Answers go to the channel, so it sees who asked what; mistakes only to the person.
        response = self._webhook(response_url).send(
            text=message.text,
            blocks=list(message.blocks) or None,
            response_type="in_channel" if ok else "ephemeral",
            replace_original=False,
        )
        if response.status_code != 200:
            raise SlackApiError(  # type: ignore[no-untyped-call]
                f"response_url answered {response.status_code}", {"error": response.body}
            )

    def _upload(self, job: Job, attachment: Attachment, *, thread: str | None = None) -> None:
        try:
            self.client.files_upload_v2(
                channel=job.channel,
                thread_ts=thread or job.reply_to.thread_ts,
                filename=attachment.filename,
                title=attachment.title,
                content=attachment.content,
            )
        except SlackApiError as e:
            self._failed("files_upload_v2", job, e)
            # The reply promised a file: say that it is not there, and why.
            with contextlib.suppress(SlackApiError):
                self.client.chat_postEphemeral(
                    channel=job.channel,
                    user=job.user,
                    text=f"The full output could not be attached ({e.response.get('error', 'unknown error')}). "
                    "Invite Pilothouse to this channel, or narrow the command (`-n`, `-l`, `--tail`).",
                )

    def _failed(self, method: str, job: Job, error: SlackApiError | OSError) -> None:
        code = str(error.response.get("error", "unknown")) if isinstance(error, SlackApiError) else type(error).__name__
        self.sink.slack_error(method, code)
        log.error("Slack %s for %s in %s failed: %s", method, job.user, job.channel, code)
