"""The Slack front door: every request is acknowledged at once; the work runs behind the ack.

Slash commands, `@Pilothouse` mentions and direct messages become `Job`s for the same pipeline
as the shell (bot/slack/jobs.py), run by a bounded pool in this process or in worker processes.
The listeners do nothing slow: ack, describe the job, hand it over. Slack redelivers (event
retries, Socket Mode reconnects); jobs are deduplicated in the shared store before they run,
so a command never runs twice, whichever replica receives it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, Respond, Say
from slack_sdk import WebClient

from bot.metrics import Metrics
from bot.policy.subject import Subject
from bot.slack.interactions import PREFIX, ButtonPress, Interactions, Reaction
from bot.slack.jobs import Job, ReplyTo, first_delivery
from bot.slack.payloads import obj, text
from bot.slack.people import payload_team
from bot.slack.text import command_text
from bot.worker import Worker
from integrations.render.blocks import COMMAND_ACTION
from integrations.store.port import Store

log = logging.getLogger(__name__)

BUSY = "Pilothouse is busy right now ({waiting} requests are waiting). Please try again in a minute."
NOT_HERE = "Pilothouse is not enabled in this channel. An admin can add it to PILOTHOUSE_SLACK_CHANNELS."
INCOMPLETE = (
    "Slack sent this request without saying who sent it or where, so Pilothouse did not run it. Please try again."
)

JobRunner = Callable[[Job], bool]  # False when the pool is saturated
Identify = Callable[[str, str, str | None], Subject]  # (user, channel, stated team) → who it is


class FrontDoor:
    def __init__(
        self,
        *,
        run_job: JobRunner,
        jobs: Worker,
        store: Store,
        metrics: Metrics,
        interactions: Interactions,
        handlers: Worker,
        enabled: Callable[[str], bool],
        identify: Identify,
    ) -> None:
        self.run_job = run_job
        self.jobs = jobs  # for the "busy" count
        self.store = store
        self.metrics = metrics
        self.interactions = interactions
        self.handlers = handlers  # buttons and reactions: their handlers run in this process
        self.enabled = enabled  # the policy's channel allow-list, for every kind of interaction
        self.identify = identify

    def register(self, app: App, command: str) -> None:
        app.command(command)(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.action(re.compile("^" + re.escape(PREFIX)))(self.on_action)
        app.action(re.compile(".*"))(self.on_unknown_action)
        app.event("reaction_added")(self.on_reaction)
        app.event("reaction_removed")(self.on_reaction)

    def allowed_here(self, channel: str) -> bool:
        """PILOTHOUSE_SLACK_CHANNELS, as the policy applies it (direct messages always reach it,
        and the policy still decides what may run there): commands, mentions, buttons, reactions."""
        return self.enabled(channel)

    def busy(self) -> str:
        self.metrics.busy.inc()
        return BUSY.format(waiting=self.jobs.in_flight)

    # --- slash commands -----------------------------------------------------------------------

    def on_command(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        self.metrics.acks.labels("command").inc()
        user, channel = text(body, "user_id"), text(body, "channel_id")
        response_url = text(body, "response_url")
        if not (user and channel and response_url):
            given = {"user_id": user, "channel_id": channel, "response_url": response_url}
            self._incomplete("slash command", given, respond if response_url else None)
            return
        if not self.allowed_here(channel):
            respond(text=NOT_HERE, response_type="ephemeral")
            return
        job = Job(
            user,
            channel,
            command_text(text(body, "text")),
            seen=("command", fingerprint(body)),
            reply_to=ReplyTo(response_url=response_url),
            team=payload_team(body),
        )
        if not self.run_job(job):
            respond(text=self.busy(), response_type="ephemeral")

    # --- events (Bolt acks them before the listener runs) -------------------------------------

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], say: Say, client: WebClient) -> None:
        self.metrics.acks.labels("event").inc()
        if _from_a_bot(event):
            return
        user, channel, ts = text(event, "user"), text(event, "channel"), text(event, "ts")
        if not (channel and ts):
            self._incomplete("mention", {"channel": channel, "ts": ts}, None)  # nowhere to answer
            return
        thread = text(event, "thread_ts") or ts
        seen = ("event", text(body, "event_id") or fingerprint(event))
        if not self.allowed_here(channel):
            if first_delivery(self.store, self.metrics, *seen):
                client.chat_postEphemeral(channel=channel, user=user, text=NOT_HERE)
            return
        reply_to = ReplyTo(channel=channel, thread_ts=thread)  # mentions are answered in a thread
        job = Job(user, channel, command_text(text(event, "text")), seen, reply_to, thread, payload_team(body, event))
        if not self.run_job(job):
            say(text=self.busy(), thread_ts=thread)

    def on_message(self, body: dict[str, Any], event: dict[str, Any], say: Say) -> None:
        self.metrics.acks.labels("event").inc()
        # Only direct messages from people; channel messages need a mention (on_mention).
        if text(event, "channel_type") != "im" or event.get("subtype") or _from_a_bot(event):
            return
        user, channel = text(event, "user"), text(event, "channel")
        if not channel:
            self._incomplete("direct message", {"channel": channel}, None)
            return
        seen = ("event", text(body, "event_id") or fingerprint(event))
        thread = text(event, "thread_ts") or None  # a reply in a thread of the conversation goes on in it
        job = Job(
            user,
            channel,
            command_text(text(event, "text")),
            seen,
            ReplyTo(channel=channel, thread_ts=thread),
            thread,
            payload_team(body, event),
        )
        if not self.run_job(job):
            say(text=self.busy())

    def on_reaction(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        self.metrics.acks.labels("event").inc()
        item = obj(event, "item")
        emoji = text(event, "reaction").split("::", 1)[0]  # skin tones arrive as "+1::skin-tone-2"
        handler = self.interactions.reaction(emoji)
        channel = text(item, "channel")
        if text(item, "type") != "message" or handler is None or not self.allowed_here(channel):
            return
        seen = ("event", text(body, "event_id") or fingerprint(event))
        user, team = text(event, "user"), payload_team(body, event)

        def handle() -> None:
            if first_delivery(self.store, self.metrics, *seen):
                subject = self.identify(user, channel, team)
                added = text(event, "type") == "reaction_added"
                handler(Reaction(user, channel, text(item, "ts"), emoji, added, subject, team))

        self.handlers.submit(handle)

    # --- buttons ------------------------------------------------------------------------------

    def on_action(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        self.metrics.acks.labels("action").inc()
        seen = ("action", fingerprint({"t": text(body, "trigger_id"), "a": action}))
        user, channel = text(body, "user", "id"), text(body, "channel", "id")
        action_id, value = text(action, "action_id"), text(action, "value")
        response_url = text(body, "response_url")
        if not (user and response_url):
            given = {"user.id": user, "response_url": response_url}
            self._incomplete("button click", given, respond if response_url else None)
            return
        if not self.allowed_here(channel):
            respond(text=NOT_HERE, response_type="ephemeral", replace_original=False)
            return
        team = payload_team(body)
        if action_id.startswith(COMMAND_ACTION):
            # A button that stands for a chat command runs it as the person who clicked: the
            # policy decides for them, exactly as if they had typed it.
            clicked = obj(body, "message")
            thread = text(clicked, "thread_ts") or text(clicked, "ts") or None  # the button's conversation
            job = Job(user, channel, value, seen, ReplyTo(response_url=response_url), thread, team)
            if not self.run_job(job):
                respond(text=self.busy(), response_type="ephemeral", replace_original=False)
            return
        handler = self.interactions.button(action_id)
        if handler is None:
            respond(
                text="This button is no longer handled. Run the command again.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        message_ts = text(body, "container", "message_ts") or None

        def handle() -> None:
            if first_delivery(self.store, self.metrics, *seen):
                subject = self.identify(user, channel, team)
                handler(ButtonPress(user, channel, action_id, value, message_ts, respond, subject))

        if not self.handlers.submit(handle):
            respond(text=self.busy(), response_type="ephemeral", replace_original=False)

    def on_unknown_action(self, ack: Ack) -> None:
        # Another app's or a stale button: acknowledge so Slack shows no error, do nothing.
        ack()
        self.metrics.acks.labels("action").inc()

    def _incomplete(self, what: str, given: Mapping[str, str], respond: Respond | None) -> None:
        """A payload without the fields its work needs: say so where an answer can go, and log it."""
        missing = ", ".join(name for name, value in given.items() if not value)
        log.warning("a Slack %s without %s was not run%s", what, missing, "" if respond else " (nowhere to answer)")
        if respond is not None:
            respond(text=INCOMPLETE, response_type="ephemeral", replace_original=False)


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable hash of a payload: redeliveries of one request share it (trigger_id included)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _from_a_bot(event: Mapping[str, Any]) -> bool:
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message" or not text(event, "user")
