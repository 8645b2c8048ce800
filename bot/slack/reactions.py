"""Votes by reaction: ✅ on a request's message approves it, ❌ denies it (both configurable),
and taking the reaction away withdraws the vote while the request waits.

A reaction becomes the command it stands for (`approve A-7K2Q --via reaction`), run as the
person who reacted, as a job like any typed command or button: the one `authorise` decides,
the work runs where commands run (maybe a worker process), and the request's record in the
shared store is the one thing every process changes. Reactions on other messages are ignored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approvals.book import ApprovalBook
from bot.slack.interactions import Interactions, Reaction
from bot.slack.jobs import Job, ReplyTo
from bot.slack.listeners import JobRunner
from commands.errors import StoreUnavailable

log = logging.getLogger(__name__)


class ApprovalReactions:
    def __init__(
        self,
        *,
        book: ApprovalBook,
        run_job: JobRunner,
        client: WebClient,
        busy: Callable[[], str],
        approve: str,
        deny: str,
    ) -> None:
        self._book = book
        self._run_job = run_job
        self._client = client
        self._busy = busy
        self._approve = approve
        self._deny = deny

    def register(self, interactions: Interactions) -> None:
        interactions.on_reaction(self._approve, self.on_reaction)
        interactions.on_reaction(self._deny, self.on_reaction)

    def on_reaction(self, reaction: Reaction) -> None:
        try:
            job = self._job(reaction)
        except StoreUnavailable as e:
            log.error("a reaction on %s was not counted: %s", reaction.channel, e.message)
            self._tell(reaction, f"Your reaction was not counted: {e.message} Use the buttons or `approve ID`.")
            return
        if job is not None and not self._run_job(job):
            self._tell(reaction, self._busy())

    def _job(self, reaction: Reaction) -> Job | None:
        approval_id = self._book.by_message(reaction.channel, reaction.message_ts)
        record = self._book.get(approval_id) if approval_id else None
        if record is None:
            return None  # not a request's message: someone's reaction, nothing to do with us
        approve = reaction.emoji == self._approve
        if reaction.added:
            verb = "approve" if approve else "deny"
        else:
            vote = record.vote_of(reaction.user)
            if vote is None or vote.approve != approve:
                return None  # the reaction taken away is not what their vote stands for
            verb = "withdraw"
        # A rollout the vote starts is followed in the request's thread.
        in_thread = record.thread if reaction.channel == record.channel and record.thread else None
        return Job(
            reaction.user,
            reaction.channel,
            f"{verb} {record.id} --via reaction",
            seen=("reaction", uuid.uuid4().hex),  # redeliveries of the event are dropped before this
            reply_to=ReplyTo(channel=reaction.channel, quiet=True),
            thread=in_thread or reaction.message_ts,
            team=reaction.team,
        )

    def _tell(self, reaction: Reaction, text: str) -> None:
        try:
            self._client.chat_postEphemeral(channel=reaction.channel, user=reaction.user, text=text)
        except SlackApiError as e:
            log.error("could not tell %s about their reaction: %s", reaction.user, e.response.get("error"))
