"""Conversation state: what a thread is about, and a question waiting for its answer.

A conversation is a Slack thread, or, outside threads, one person's messages in one place (the
shell, a direct message, slash commands in a channel). Its topic is the last Deployment changed
or looked at there, so `scale 5` in the thread of `deploy web` scales `web` in the same cluster
and namespace. Its question is a command that lacked arguments, completed by the next reply.
Kept in the shared store with an expiry, so every replica sees it and a restart loses nothing.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, ConfigDict, ValidationError

from bot.message import Message
from commands.errors import StoreUnavailable
from integrations.store import keys
from integrations.store.port import Store

log = logging.getLogger(__name__)

THREAD_SECONDS = 24 * 3600.0  # a thread is about its topic for a day
PERSONAL_SECONDS = 30 * 60.0  # outside threads, only for a while: "web" an hour ago is not "now"
QUESTION_SECONDS = 10 * 60.0  # an answer much later is more likely a new thought


class Topic(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster: str
    namespace: str
    deployment: str


class Question(BaseModel):
    """A command that lacked arguments; only the person who was asked answers it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user: str
    command: str  # as typed so far, normalised
    missing: tuple[str, ...]
    expires: float  # epoch seconds


class Conversation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    topic: Topic | None = None
    question: Question | None = None


class Conversations:
    def __init__(self, store: Store, *, thread_ttl: float = THREAD_SECONDS, personal_ttl: float = PERSONAL_SECONDS):
        self._store = store
        self._thread_ttl = thread_ttl
        self._personal_ttl = personal_ttl

    @staticmethod
    def key(channel: str, thread: str | None, user: str) -> str:
        # A thread is one conversation; outside threads each person has their own (`@` never starts a thread's ts).
        return keys.key("conversation", channel, thread) if thread else keys.key("conversation", channel, f"@{user}")

    def get(self, message: Message) -> Conversation:
        try:
            raw = self._store.get(self.key(message.channel, message.thread, message.user))
        except StoreUnavailable as e:
            log.error("conversation state unavailable: %s", e.message)  # answer without it
            return Conversation()
        if raw is None:
            return Conversation()
        try:
            return Conversation.model_validate_json(raw)
        except ValidationError:
            log.warning("conversation state for %s is unreadable; starting afresh", message.channel)
            return Conversation()

    def save(self, message: Message, conversation: Conversation) -> None:
        self._put(self.key(message.channel, message.thread, message.user), conversation, bool(message.thread))

    def adopt(self, message: Message, thread: str) -> None:
        """The bot's answer started a thread (a slash command's rollout message): the thread
        carries on the conversation the message was part of."""
        found = self.get(message)
        if found.topic is not None:
            self._put(self.key(message.channel, thread, message.user), Conversation(topic=found.topic), True)

    def _put(self, key: str, conversation: Conversation, thread: bool) -> None:
        ttl = self._thread_ttl if thread else self._personal_ttl
        try:
            self._store.set(key, conversation.model_dump_json(exclude_none=True), ttl=ttl)
        except StoreUnavailable as e:
            log.error("conversation state not saved: %s", e.message)
