"""The Slack front door: every request is acknowledged at once; the work runs behind the ack.

Slash commands, `@Pilothouse` mentions and direct messages go through the same pipeline as the
shell. Slack redelivers (event retries, Socket Mode reconnects): each delivery is deduplicated
in the shared store first, so a command never runs twice, whichever replica receives it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, Respond, Say
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.metrics import Metrics
from bot.pipeline import Message, Pipeline
from bot.slack.directory import Directory
from bot.slack.interactions import PREFIX, ButtonPress, Interactions, Reaction
from bot.slack.text import command_text
from bot.worker import Worker
from commands.errors import StoreUnavailable
from commands.replies import Reply
from integrations.render.blocks import Attachment, SlackMessage, render_message
from integrations.store.port import Store

log = logging.getLogger(__name__)

DEDUPE_SECONDS = 3600  # Slack retries within minutes; an hour is ample
BUSY = "Pilothouse is busy right now ({waiting} requests are waiting). Please try again in a minute."
NOT_HERE = "Pilothouse is not enabled in this channel. An admin can add it to PILOTHOUSE_SLACK_CHANNELS."


@dataclass(frozen=True, slots=True)
class Delivery:
    """One request from Slack, reduced to what the pipeline and the reply need."""

    user: str
    channel: str
    text: str
    seen: tuple[str, str]  # (kind, key) that identifies redeliveries of this request
    thread_ts: str | None = None  # reply in this thread (mentions)


class FrontDoor:
    def __init__(
        self,
        *,
        pipeline: Pipeline,
        store: Store,
        worker: Worker,
        metrics: Metrics,
        interactions: Interactions,
        directory: Directory,
        channels: frozenset[str] = frozenset(),
    ) -> None:
        self.pipeline = pipeline
        self.directory = directory
        self.store = store
        self.worker = worker
        self.metrics = metrics
        self.interactions = interactions
        self.channels = channels

    def register(self, app: App, command: str) -> None:
        app.command(command)(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.action(re.compile("^" + re.escape(PREFIX)))(self.on_action)
        app.action(re.compile(".*"))(self.on_unknown_action)
        app.event("reaction_added")(self.on_reaction)
        app.event("reaction_removed")(self.on_reaction)

    # --- deliveries ---------------------------------------------------------------------------

    def first_delivery(self, kind: str, key: str) -> bool:
        """True the first time this delivery is seen by any replica; redeliveries are dropped."""
        try:
            first = self.store.set_if_absent(f"slack:seen:{kind}:{key}", "1", ttl=DEDUPE_SECONDS)
        except StoreUnavailable as e:
            # Answering twice is better than not answering: go on, and say so in the logs.
            log.error("cannot deduplicate a Slack %s: %s", kind, e.message)
            return True
        if not first:
            self.metrics.duplicates.labels(kind).inc()
        return first

    def allowed_here(self, channel: str) -> bool:
        # Direct messages are always allowed; the policy still decides what may run there.
        return not self.channels or channel in self.channels or channel.startswith("D")

    # --- slash commands -----------------------------------------------------------------------

    def on_command(self, ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        self.metrics.acks.labels("command").inc()
        delivery = Delivery(
            body["user_id"], body["channel_id"], command_text(body.get("text", "")), seen=("command", fingerprint(body))
        )
        if not self.allowed_here(delivery.channel):
            respond(text=NOT_HERE, response_type="ephemeral")
            return

        def answer(message: SlackMessage, reply: Reply) -> None:
            visibility = "in_channel" if reply.ok else "ephemeral"
            respond(text=message.text, blocks=list(message.blocks), response_type=visibility, replace_original=False)

        self._submit(delivery, client, answer, busy=lambda text: respond(text=text, response_type="ephemeral"))

    # --- events -------------------------------------------------------------------------------

    def on_mention(self, body: dict[str, Any], event: dict[str, Any], say: Say, client: WebClient) -> None:
        self.metrics.acks.labels("event").inc()
        if _from_a_bot(event):
            return
        thread = event.get("thread_ts") or event["ts"]
        seen = ("event", body.get("event_id") or fingerprint(event))
        delivery = Delivery(event["user"], event["channel"], command_text(event.get("text", "")), seen, thread)
        if not self.allowed_here(delivery.channel):
            if self.first_delivery(*delivery.seen):
                client.chat_postEphemeral(channel=delivery.channel, user=delivery.user, text=NOT_HERE)
            return

        def answer(message: SlackMessage, reply: Reply) -> None:
            say(text=message.text, blocks=list(message.blocks), thread_ts=thread)

        self._submit(delivery, client, answer, busy=lambda text: say(text=text, thread_ts=thread))

    def on_message(self, body: dict[str, Any], event: dict[str, Any], say: Say, client: WebClient) -> None:
        self.metrics.acks.labels("event").inc()
        # Only direct messages from people; channel messages need a mention (on_mention).
        if event.get("channel_type") != "im" or event.get("subtype") or _from_a_bot(event):
            return
        seen = ("event", body.get("event_id") or fingerprint(event))
        delivery = Delivery(event["user"], event["channel"], command_text(event.get("text", "")), seen)

        def answer(message: SlackMessage, reply: Reply) -> None:
            say(text=message.text, blocks=list(message.blocks))

        self._submit(delivery, client, answer, busy=lambda text: say(text=text))

    def on_reaction(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        self.metrics.acks.labels("event").inc()
        item = event.get("item") or {}
        if item.get("type") != "message" or not self.first_delivery(
            "event", body.get("event_id") or fingerprint(event)
        ):
            return
        reaction = Reaction(
            event.get("user", ""),
            item.get("channel", ""),
            item.get("ts", ""),
            event.get("reaction", "").split("::", 1)[0],  # skin tones arrive as "+1::skin-tone-2"
            added=event.get("type") == "reaction_added",
        )
        handler = self.interactions.reaction(reaction.emoji)
        if handler is not None:
            self.worker.submit(lambda: handler(reaction))

    # --- buttons ------------------------------------------------------------------------------

    def on_action(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        self.metrics.acks.labels("action").inc()
        if not self.first_delivery("action", fingerprint({"t": body.get("trigger_id"), "a": action})):
            return
        handler = self.interactions.button(action.get("action_id", ""))
        if handler is None:
            respond(
                text="This button is no longer handled. Run the command again.",
                response_type="ephemeral",
                replace_original=False,
            )
            return
        press = ButtonPress(
            user=(body.get("user") or {}).get("id", ""),
            channel=(body.get("channel") or {}).get("id", ""),
            action_id=action["action_id"],
            value=str(action.get("value", "")),
            message_ts=(body.get("container") or {}).get("message_ts"),
            respond=respond,
        )
        if not self.worker.submit(lambda: handler(press)):
            respond(text=BUSY.format(waiting=self.worker.in_flight), response_type="ephemeral", replace_original=False)

    def on_unknown_action(self, ack: Ack) -> None:
        # Another app's or a stale button: acknowledge so Slack shows no error, do nothing.
        ack()
        self.metrics.acks.labels("action").inc()

    # --- the work behind the ack --------------------------------------------------------------

    def _submit(
        self,
        delivery: Delivery,
        client: WebClient,
        answer: Callable[[SlackMessage, Reply], None],
        busy: Callable[[str], Any],
    ) -> None:
        def work() -> None:
            # Deduplicated here, behind the ack, so the ack path stays as short as a bare app's.
            if not self.first_delivery(*delivery.seen):
                return
            user_name = self.directory.user_name(delivery.user)
            channel_name = self.directory.channel_name(delivery.channel)
            message = Message(delivery.user, delivery.channel, delivery.text, user_name, channel_name)
            reply = self.pipeline.handle(message)
            rendered = render_message(reply, title=delivery.text)
            try:
                answer(rendered, reply)
            except SlackApiError as e:
                self._failed("reply", delivery, e)
                return
            if rendered.attachment is not None:
                self._upload(client, delivery, rendered.attachment)

        if not self.worker.submit(work):
            self.metrics.busy.inc()
            busy(BUSY.format(waiting=self.worker.in_flight))

    def _upload(self, client: WebClient, delivery: Delivery, attachment: Attachment) -> None:
        try:
            client.files_upload_v2(
                channel=delivery.channel,
                thread_ts=delivery.thread_ts,
                filename=attachment.filename,
                title=attachment.title,
                content=attachment.content,
            )
        except SlackApiError as e:
            self._failed("files_upload_v2", delivery, e)
            # The reply promised a file: say that it is not there, and why.
            with contextlib.suppress(SlackApiError):
                client.chat_postEphemeral(
                    channel=delivery.channel,
                    user=delivery.user,
                    text=f"The full output could not be attached ({e.response.get('error', 'unknown error')}). "
                    "Invite Pilothouse to this channel, or narrow the command (`-n`, `-l`, `--tail`).",
                )

    def _failed(self, method: str, delivery: Delivery, error: SlackApiError) -> None:
        code = str(error.response.get("error", "unknown"))
        self.metrics.slack_errors.labels(method, code).inc()
        log.error("Slack %s for %s in %s failed: %s", method, delivery.user, delivery.channel, code)


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable hash of a payload: redeliveries of one request share it (trigger_id included)."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _from_a_bot(event: Mapping[str, Any]) -> bool:
    return bool(event.get("bot_id")) or event.get("subtype") == "bot_message" or "user" not in event
