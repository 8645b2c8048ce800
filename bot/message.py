"""A message from any chat: the pipeline's input."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    """Who said what, where. `user` and `channel` are stable IDs; the names are for display only.

    `thread` is the Slack thread the message belongs to (its root's timestamp), if any.
    `external`: the person is not of our workspace(s) (Slack Connect); `team` is theirs.
    """

    user: str
    channel: str
    text: str
    user_name: str | None = None
    channel_name: str | None = None
    thread: str | None = None
    external: bool = False
    team: str | None = None
