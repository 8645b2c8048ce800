"""Approval requests in Slack: each request's view is posted where it was asked (in its thread,
if it has one) and in the approvals channel, and edited in place after every transition; when
the request settles, one line in its thread says how it ended, naming the people concerned.

The record in the store is the truth: a message is only its view. An edit renders the newest
version of the record (a slower process never puts an older state back); a failed post or edit
is logged and left (slack_sdk waits out a 429's Retry-After, a few times, then gives up), and
never changes the record.
"""

from __future__ import annotations

import logging
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approvals import record as rec
from bot.approvals.book import ApprovalBook
from bot.approvals.record import SETTLED, ApprovalRecord, Posted, Vote, describe_state
from bot.approvals.view import tally, view
from bot.slack.directory import Directory
from commands.errors import StoreUnavailable
from integrations.render.blocks import EMOJI, SlackMessage, escape, render_message

log = logging.getLogger(__name__)

_SETTLED_EMOJI = {"done": EMOJI["ok"], "failed": EMOJI["error"], "denied": ":no_entry:", "expired": ":hourglass:"}
_RAN = frozenset({"done", "failed", "unknown"})  # settled states in which the change was run


class SlackApprovals:
    """The Slack bot's `Notifier` (bot/approvals/desk.py), in every process that makes transitions."""

    def __init__(
        self, client: WebClient, book: ApprovalBook, directory: Directory, *, channel: str | None = None
    ) -> None:
        self._client = client
        self._book = book
        self._directory = directory
        self._channel = channel  # PILOTHOUSE_APPROVALS_CHANNEL

    # --- the Notifier protocol ---------------------------------------------------------------

    def changed(self, record: ApprovalRecord, event: str) -> None:
        if event == "created":
            self._post(record)
            return
        self._edit(record)
        if record.state in SETTLED and not record.requirement.is_confirmation:
            self._settle_line(record)  # a `yes` to one's own change: its edited question says it all

    def shown(self, record: ApprovalRecord) -> str | None:
        if not record.posted:
            return None
        here = "in this thread" if record.thread else "in this channel"
        places = [here if p.channel == record.channel else f"in {self._name(p.channel)}" for p in record.posted]
        return " and ".join(dict.fromkeys(places))

    # --- posting and editing ---------------------------------------------------------------------

    def _post(self, record: ApprovalRecord) -> None:
        message = _render(record)
        targets = [(record.channel, record.thread)]
        # The approvals channel hears of requests to others, not of a `yes` one asks of oneself.
        if self._channel and self._channel != record.channel and not record.requirement.is_confirmation:
            targets.append((self._channel, None))
        for channel, thread in targets:
            where = self._send(record, channel, thread, message)
            if where is None:
                continue
            self._book.remember_message(record, where.channel, where.ts)  # first: reactions find it
            self._book.change(record.id, partial(_posted, where=where))
        # A vote may have come in before the message was known to the record: show it now.
        latest = self._book.get(record.id)
        if latest is not None and latest.version > record.version:
            self._edit(latest)

    def _send(self, record: ApprovalRecord, channel: str, thread: str | None, message: SlackMessage) -> Posted | None:
        try:
            response = self._client.chat_postMessage(
                channel=channel, thread_ts=thread, text=message.text, blocks=list(message.blocks) or None
            )
        except (SlackApiError, OSError) as e:
            log.error("could not post approval request %s in %s: %s", record.id, channel, _code(e))
            return None
        return Posted(channel=str(response.get("channel") or channel), ts=str(response["ts"]))

    def _edit(self, record: ApprovalRecord) -> None:
        latest = self._newest(record)
        message = _render(latest)
        for where in latest.posted:
            try:
                self._client.chat_update(
                    channel=where.channel, ts=where.ts, text=message.text, blocks=list(message.blocks) or None
                )
            except (SlackApiError, OSError) as e:
                log.error("could not update approval request %s in %s: %s", latest.id, where.channel, _code(e))

    def _newest(self, record: ApprovalRecord) -> ApprovalRecord:
        try:
            stored = self._book.get(record.id)
        except StoreUnavailable:
            return record
        return stored if stored is not None and stored.version > record.version else record

    def _settle_line(self, record: ApprovalRecord) -> None:
        """One line in the request's thread: the requester and the approvers hear how it ended."""
        thread = record.thread or next((p.ts for p in record.posted if p.channel == record.channel), None)
        channel = record.channel
        if thread is None and record.posted:  # not posted where it was asked: under the approvals channel's view
            channel, thread = record.posted[0].channel, record.posted[0].ts
        if thread is None:
            return
        text = settle_text(record)
        try:
            self._client.chat_postMessage(channel=channel, thread_ts=thread, text=text)
        except (SlackApiError, OSError) as e:
            log.error("could not post the end of approval request %s in %s: %s", record.id, channel, _code(e))

    def _name(self, channel: str) -> str:
        return self._directory.channel_name(channel) or channel


def settle_text(record: ApprovalRecord) -> str:
    """E.g. `:white_check_mark: <@U1>: A-7K2Q is done: `scale web 5 -n shop`, approved by <@U2>.`
    People are mentioned by ID: Slack shows today's names, and tells the people named."""
    emoji = _SETTLED_EMOJI.get(record.state, EMOJI["warning"] if record.state == "unknown" else EMOJI["info"])
    state, command = escape(describe_state(record)), escape(record.command_line)
    line = f"{emoji} <@{record.requester}>: {record.id} is {state}: `{command}`"
    if record.state == "denied":
        return line + ", denied by " + ", ".join(_voter(v) for v in record.denials) + "."
    if record.state in _RAN and record.approvals:
        line += ", approved by " + ", ".join(_voter(v) for v in record.approvals)
    if record.state == "expired":
        line += f" ({tally(record)})"
    if record.outcome and record.outcome != record.state:
        line += f". {escape(record.outcome[0].upper() + record.outcome[1:])}"
    return line + "."


def _voter(vote: Vote) -> str:
    return f"<@{vote.user}>" + (f" ({escape(vote.reason)})" if vote.reason else "")


def _posted(record: ApprovalRecord, *, where: Posted) -> ApprovalRecord:
    return rec.posted(record, where)


def _render(record: ApprovalRecord) -> SlackMessage:
    return render_message(view(record), title=record.command_line)


def _code(error: SlackApiError | OSError) -> str:
    return str(error.response.get("error", "unknown")) if isinstance(error, SlackApiError) else type(error).__name__
