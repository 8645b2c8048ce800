"""Names for Slack IDs, for display only: people and channels are keyed by ID everywhere.

Looked up with users.info / conversations.info and cached in the shared store with a TTL, so
replicas share the cache and a renamed channel shows its new name within the hour.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from commands.errors import StoreUnavailable
from integrations.store.port import Store

log = logging.getLogger(__name__)

NAME_TTL = 3600.0


class Directory:
    def __init__(self, client: WebClient, store: Store) -> None:
        self._client = client
        self._store = store

    def user_name(self, user_id: str) -> str | None:
        return self._cached(f"slack:name:user:{user_id}", lambda: _user_name(self._client, user_id))

    def channel_name(self, channel_id: str) -> str | None:
        if channel_id.startswith("D"):
            return "direct message"
        return self._cached(f"slack:name:channel:{channel_id}", lambda: _channel_name(self._client, channel_id))

    def _cached(self, key: str, look_up: Callable[[], str | None]) -> str | None:
        try:
            if (name := self._store.get(key)) is not None:
                return name
        except StoreUnavailable:
            pass
        try:
            name = look_up()
        except SlackApiError as e:
            # Names are only for display: an ID is shown instead.
            log.info("no name for %s: %s", key, e.response.get("error"))
            return None
        if name:
            with contextlib.suppress(StoreUnavailable):
                self._store.set(key, name, ttl=NAME_TTL)
        return name


def _user_name(client: WebClient, user_id: str) -> str | None:
    user = client.users_info(user=user_id)["user"]
    profile = user.get("profile") or {}
    name = profile.get("display_name") or user.get("real_name") or user.get("name")
    return str(name) if name else None


def _channel_name(client: WebClient, channel_id: str) -> str | None:
    channel = client.conversations_info(channel=channel_id)["channel"]
    name = channel.get("name")
    return f"#{name}" if name else None
