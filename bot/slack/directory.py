"""Names for Slack IDs, for display only: people and channels are keyed by ID everywhere; and
each person's workspace (team), which decides whether they are one of ours.

Looked up with users.info / conversations.info and cached twice: in this process (no round trip
per message) and in the shared store (replicas and restarts share it), with a TTL so a renamed
channel shows its new name within the hour. Failed lookups are cached too, for less time, so a
burst of messages from an unknown ID costs one API call, not one per message.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from commands.errors import StoreUnavailable
from integrations.store import keys
from integrations.store.port import Store

log = logging.getLogger(__name__)

NAME_TTL = 3600.0
NO_NAME_TTL = 600.0
_NO_NAME = ""  # stored for an ID that has no name we can show


class Directory:
    def __init__(self, client: WebClient, store: Store) -> None:
        self._client = client
        self._store = store
        self._memory: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[str, threading.Lock] = {}

    def user_name(self, user_id: str) -> str | None:
        return self._user(user_id).get("name")

    def user_team(self, user_id: str) -> tuple[str | None, str | None]:
        """(team, enterprise) of the person, as Slack says; (None, None) when unknown."""
        found = self._user(user_id)
        return found.get("team"), found.get("enterprise")

    def _user(self, user_id: str) -> dict[str, str]:
        raw = self._cached(keys.key("slack", "user", user_id), lambda: _user(self._client, user_id))
        return json.loads(raw) if raw else {}

    def channel_name(self, channel_id: str) -> str | None:
        if channel_id.startswith("D"):
            return "direct message"
        return self._cached(
            keys.key("slack", "name", "channel", channel_id), lambda: _channel_name(self._client, channel_id)
        )

    def _cached(self, key: str, look_up: Callable[[], str | None]) -> str | None:
        if (name := self._remembered(key)) is not None:
            return name or None
        with self._lock_for(key):  # one lookup per ID, however many messages wait for it
            if (name := self._remembered(key)) is not None:
                return name or None
            name = self._from_store(key)
            if name is None:
                name = self._look_up(key, look_up)
            self._memory[key] = (name, time.monotonic() + (NAME_TTL if name else NO_NAME_TTL))
            return name or None

    def _remembered(self, key: str) -> str | None:
        entry = self._memory.get(key)
        return entry[0] if entry and entry[1] > time.monotonic() else None

    def _lock_for(self, key: str) -> threading.Lock:
        with self._lock:
            return self._key_locks.setdefault(key, threading.Lock())

    def _from_store(self, key: str) -> str | None:
        try:
            return self._store.get(key)
        except StoreUnavailable:
            return None

    def _look_up(self, key: str, look_up: Callable[[], str | None]) -> str:
        try:
            name = look_up() or _NO_NAME
        except SlackApiError as e:
            # Names are only for display: the ID is shown instead.
            log.info("no name for %s: %s", key, e.response.get("error"))
            name = _NO_NAME
        with contextlib.suppress(StoreUnavailable):
            self._store.set(key, name, ttl=NAME_TTL if name else NO_NAME_TTL)
        return name


def _user(client: WebClient, user_id: str) -> str | None:
    user = client.users_info(user=user_id)["user"]
    profile = user.get("profile") or {}
    name = profile.get("display_name") or user.get("real_name") or user.get("name")
    found = {
        "name": str(name) if name else None,
        "team": user.get("team_id") or profile.get("team"),
        "enterprise": (user.get("enterprise_user") or {}).get("enterprise_id"),
    }
    return json.dumps({k: v for k, v in found.items() if v})


def _channel_name(client: WebClient, channel_id: str) -> str | None:
    channel = client.conversations_info(channel=channel_id)["channel"]
    name = channel.get("name")
    return f"#{name}" if name else None
