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
from bot.slack.people import payload_team
from bot.slack.text import command_text
from bot.worker import Worker
from integrations.render.blocks import COMMAND_ACTION
from integrations.store.port import Store

log = logging.getLogger(__name__)

BUSY = "Pilothouse is busy right now ({waiting} requests are waiting). Please try again in a minute."
NOT_HERE = "Pilothouse is not enabled in this channel. An admin can add it to PILOTHOUSE_SLACK_CHANNELS."

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
        if not self.allowed_here(body["channel_id"]):
            respond(text=NOT_HERE, response_type="ephemeral")
            return
        job = Job(
            body["user_id"],
            body["channel_id"],
            command_text(body.get("text", "")),
            seen=("command", fingerprint(body)),
            reply_to=ReplyTo(response_url=body["response_url"]),
            team=payload_team(body),
        )
        if not self.run_job(job):
            respond(text=self.busy(), response_type="ephemeral")

    # --- events (Bolt acks them before the listener runs) -------------------------------------

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], say: Say, client: WebClient) -> None:
        self.metrics.acks.labels("event").inc()
        if _from_a_bot(event):
            return
        thread = event.get("thread_ts") or event["ts"]
        seen = ("event", body.get("event_id") or fingerprint(event))
        if not self.allowed_here(event["channel"]):
            if first_delivery(self.store, self.metrics, *seen):
                client.chat_postEphemeral(channel=event["channel"], user=event["user"], text=NOT_HERE)
            return
        reply_to = ReplyTo(channel=event["channel"], thread_ts=thread)  # mentions are answered in a thread
        text = command_text(event.get("text", ""))
        job = Job(event["user"], event["channel"], text, seen, reply_to, thread, payload_team(body, event))
        if not self.run_job(job):
            say(text=self.busy(), thread_ts=thread)

    def on_message(self, body: dict[str, Any], event: dict[str, Any], say: Say) -> None:
        self.metrics.acks.labels("event").inc()
        # Only direct messages from people; channel messages need a mention (on_mention).
        if event.get("channel_type") != "im" or event.get("subtype") or _from_a_bot(event):
            return
        seen = ("event", body.get("event_id") or fingerprint(event))
        thread = event.get("thread_ts")  # a reply in a thread of the conversation goes on in it
        job = Job(
            event["user"],
            event["channel"],
            command_text(event.get("text", "")),
            seen,
            ReplyTo(channel=event["channel"], thread_ts=thread),
            thread,
            payload_team(body, event),
        )
        if not self.run_job(job):
            say(text=self.busy())

    def on_reaction(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        self.metrics.acks.labels("event").inc()
        item = event.get("item") or {}
        emoji = event.get("reaction", "").split("::", 1)[0]  # skin tones arrive as "+1::skin-tone-2"
        handler = self.interactions.reaction(emoji)
        channel = item.get("channel", "")
        if item.get("type") != "message" or handler is None or not self.allowed_here(channel):
            return
        seen = ("event", body.get("event_id") or fingerprint(event))
        user, team = event.get("user", ""), payload_team(body, event)

        def handle() -> None:
            if first_delivery(self.store, self.metrics, *seen):
                subject = self.identify(user, channel, team)
                added = event.get("type") == "reaction_added"
                handler(Reaction(user, channel, item.get("ts", ""), emoji, added, subject))

        self.handlers.submit(handle)

    # --- buttons ------------------------------------------------------------------------------

    def on_action(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        self.metrics.acks.labels("action").inc()
        seen = ("action", fingerprint({"t": body.get("trigger_id"), "a": action}))
        user, channel = (body.get("user") or {}).get("id", ""), (body.get("channel") or {}).get("id", "")
        if not self.allowed_here(channel):
            respond(text=NOT_HERE, response_type="ephemeral", replace_original=False)
            return
        if action.get("action_id", "").startswith(COMMAND_ACTION):
            # A button that stands for a chat command runs it as the person who clicked: the
            # policy decides for them, exactly as if they had typed it.
            clicked = body.get("message") or {}
            thread = clicked.get("thread_ts") or clicked.get("ts")  # the conversation the button is part of
            reply_to = ReplyTo(response_url=body["response_url"])
            job = Job(user, channel, str(action.get("value", "")), seen, reply_to, thread, payload_team(body))
            if not self.run_job(job):
                respond(text=self.busy(), response_type="ephemeral", replace_original=False)
            return
        handler = self.interactions.button(action.get("action_id", ""))
        if handler is None:
            respond(
                text="This button is no longer handled. Run the command again.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        team = payload_team(body)

        def handle() -> None:
            if first_delivery(self.store, self.metrics, *seen):
                press = ButtonPress(
                    user=user,
                    channel=channel,
                    action_id=action["action_id"],
                    value=str(action.get("value", "")),
                    message_ts=(body.get("container") or {}).get("message_ts"),
                    respond=respond,
                    subject=self.identify(user, channel, team),
                )
                handler(press)

        if not self.handlers.submit(handle):
            respond(text=self.busy(), response_type="ephemeral", replace_original=False)

    def on_unknown_action(self, ack: Ack) -> None:
        # Another app's or a stale button: acknowledge so Slack shows no error, do nothing.
        ack()
        self.metrics.acks.labels("action").inc()


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable hash of a payload: redeliveries of one request share it (trigger_id included)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _from_a_bot(event: Mapping[str, Any]) -> bool:
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message" or "user" not in event
